"""``manage.py region``: counties and their streets from the national division table.

- ``region add 330302 [330303 …]`` records each county and its streets, towns and townships
  (idempotent: a second run changes nothing);
- ``region diff DIR`` compares the vendored table with a newer one in ``DIR`` (the same CSV
  files and columns) and prints what was added, renamed and retired, for the counties this
  deployment serves (``--all``: the whole country), for the bureau to apply. It changes nothing.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from luchen_care.regions.division import read_table, table_changes, vendored_table
from luchen_care.regions.models import County

from ...services.streets import county_streets_load


class Command(BaseCommand):
    help = "Load counties and their streets from the national division table, or compare a newer table."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Record counties and their streets (idempotent).")
        add.add_argument("codes", nargs="+", help="6-digit county-level division codes, e.g. 330302")
        add.add_argument(
            "--allow-development-zone",
            action="store_true",
            help="Also accept a development zone (xx71–xx79), which has no health bureau of its own.",
        )
        diff = sub.add_parser("diff", help="Print what a newer table changes (nothing is applied).")
        diff.add_argument("directory", help="A directory with provinces.csv, cities.csv, areas.csv, streets.csv")
        diff.add_argument("--all", action="store_true", help="Every county of the country, not only those served.")

    def handle(self, *args, action, **options):
        # The operator reads the site's language, whatever the shell's locale.
        with translation.override(settings.LANGUAGE_CODE):
            if action == "add":
                return self._add(options["codes"], options["allow_development_zone"])
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
