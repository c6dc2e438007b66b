"""``manage.py region``: counties and their streets from the national division table.

- ``region add 330303 [330304 …]`` records each county and its streets, towns and townships
  (idempotent: a second run changes nothing);
- ``region brand 330303 --name-en … --issuer … --policy-basis …`` sets the county's branding
  (its English name, the issuing body of its receipts and notices, its own childcare plan) and
  prints what its pages will say;
- ``region diff DIR`` compares the vendored table with a newer one in ``DIR`` (the same CSV
  files and columns) and prints what was added, renamed and retired, for the counties this
  deployment serves (``--all``: the whole country), for the bureau to apply. It changes nothing.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from luchen_care.regions.branding import county_branding
from luchen_care.regions.division import read_table, table_changes, vendored_table
from luchen_care.regions.models import County
from luchen_care.regions.services import BRAND_FIELDS, county_brand

from ...services.streets import county_streets_load


class Command(BaseCommand):
    help = "Load counties and their streets from the national division table, or compare a newer table."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Record counties and their streets (idempotent).")
        add.add_argument("codes", nargs="+", help="6-digit county-level division codes, e.g. 110101")
        add.add_argument(
            "--allow-development-zone",
            action="store_true",
            help="Also accept a development zone (xx71–xx79), which has no health bureau of its own.",
        )
        brand = sub.add_parser("brand", help="Set a county's branding; a field not given is left as it is.")
        brand.add_argument("code", help="The 6-digit code of a county already added")
        brand.add_argument("--name-en", help="English name, e.g. “X District” (empty: the Chinese name)")
        brand.add_argument("--issuer", help="Issuing body of receipts and notices (empty: <city><county>卫生健康局)")
        brand.add_argument(
            "--policy-basis", help="The county's childcare plan and its document number, for the home page"
        )
        diff = sub.add_parser("diff", help="Print what a newer table changes (nothing is applied).")
        diff.add_argument("directory", help="A directory with provinces.csv, cities.csv, areas.csv, streets.csv")
        diff.add_argument("--all", action="store_true", help="Every county of the country, not only those served.")

    def handle(self, *args, action, **options):
        # The operator reads the site's language, whatever the shell's locale.
        with translation.override(settings.LANGUAGE_CODE):
            if action == "add":
                return self._add(options["codes"], options["allow_development_zone"])
            if action == "brand":
                return self._brand(options)
            return self._diff(options["directory"], options["all"])

    def _add(self, codes, allow_development_zone):
        for code in codes:
            try:
                done = county_streets_load(code=code, allow_development_zone=allow_development_zone)
            except ValidationError as refused:
                raise CommandError(" ".join(refused.messages)) from refused
            county = done["county"]
            said = (
                _("%(code)s %(place)s: county added, %(created)d streets added, %(kept)d already recorded")
                if done["county_created"]
                else _(
                    "%(code)s %(place)s: county already recorded, %(created)d streets added, %(kept)d already recorded"
                )
            )
            place = f"{county.province_name}{county.city_name}{county.name}"
            self.stdout.write(
                said % {"code": county.code, "place": place, "created": len(done["created"]), "kept": len(done["kept"])}
            )

    def _brand(self, options):
        county = County.objects.filter(code=options["code"]).first()
        if county is None:
            raise CommandError(
                _("%(code)s is not recorded; add it first with `manage.py region add %(code)s`.")
                % {"code": options["code"]}
            )
        fields = {name: options[name] for name in BRAND_FIELDS if options.get(name) is not None}
        try:
            county_brand(county=county, **fields)
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from refused
        branding = county_branding(county)
        self.stdout.write(
            _("%(code)s %(place)s: %(platform)s, issued by %(issuer)s")
            % {
                "code": county.code,
                "place": branding.full_place,
                "platform": branding.platform_name_zh,
                "issuer": branding.issuer_zh,
            }
        )

    def _diff(self, directory, everything):
        try:
            newer = read_table(directory)
        except (OSError, KeyError) as unreadable:
            raise CommandError(
                _("%(dir)s is not a division table in the vendored files and columns (%(why)s).")
                % {"dir": directory, "why": unreadable}
            ) from None
        served = None if everything else list(County.objects.values_list("code", flat=True))
        if served == []:
            self.stdout.write(_("No county is recorded yet; pass --all to compare the whole table."))
            return
        for code in served or [None]:
            changes = table_changes(vendored_table(), newer, area_code=code)
            heading = code or _("the whole country")
            if not (changes.added or changes.renamed or changes.retired):
                self.stdout.write(_("%(area)s: no changes") % {"area": heading})
                continue
            self.stdout.write(f"{heading}:")
            for unit_code, name in changes.added:
                self.stdout.write("  " + _("added %(code)s %(name)s") % {"code": unit_code, "name": name})
            for unit_code, old, new in changes.renamed:
                self.stdout.write(
                    "  " + _("renamed %(code)s %(old)s → %(new)s") % {"code": unit_code, "old": old, "new": new}
                )
            for unit_code, name in changes.retired:
                self.stdout.write("  " + _("retired %(code)s %(name)s") % {"code": unit_code, "name": name})
