"""``manage.py policy``: a county's own dated policy rows, from a file, and the rows in force.

- ``policy load 330303 rows.json --user NAME`` saves the file's rows as the county's own rows
  (``default`` instead of a code: as the defaults every county follows), through each policy's
  save service on behalf of the user NAME (a superuser, or that county's health bureau), all or
  nothing; a second load of the same file changes nothing. The file:
  ``{"push_window": [{"effective_from": "2021-02-01", "working_days": 5, "legal_source": "…"}]}``.
- ``policy show 330303 [--on 2026-03-01]`` prints, for each policy, the row in force that day:
  the county's own or the default it follows.
"""

import datetime
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from luchen_care.accounts.models import User
from luchen_care.core.policy import PolicyFileRefused, PolicyNotInForce, policy_kinds, policy_on, policy_rows_load
from luchen_care.regions.models import County


class Command(BaseCommand):
    help = "Load a county's own dated policy rows from a JSON file, or show the rows in force."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Save a file's rows as a county's own (all or nothing).")
        load.add_argument("county", help="The county's 6-digit code, or `default` for the defaults")
        load.add_argument("file", help="A JSON file: {policy kind: [rows]}")
        load.add_argument("--user", required=True, help="Who the rows are recorded by (history names them)")
        show = sub.add_parser("show", help="Print the row of each policy in force on a day.")
        show.add_argument("county", help="The county's 6-digit code")
        show.add_argument("--on", help="The day (YYYY-MM-DD; default today)")

    def handle(self, *args, action, **options):
        with translation.override(settings.LANGUAGE_CODE):
            if action == "load":
                return self._load(options["county"], options["file"], options["user"])
            return self._show(options["county"], options.get("on"))

    def _county(self, code):
        if code == "default":
            return None
        county = County.objects.filter(code=code).first()
        if county is None:
            raise CommandError(
                _("%(code)s is not recorded; add it first with `manage.py region add %(code)s`.") % {"code": code}
            )
        return county

    def _load(self, code, path, username):
        county = self._county(code)
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(_("No active user “%(name)s”.") % {"name": username})
        try:
            with open(path, encoding="utf-8") as file:
                document = json.load(file)
        except (OSError, ValueError) as unreadable:
            message = _("%(path)s is not a readable JSON file (%(why)s).") % {"path": path, "why": unreadable}
            raise CommandError(message) from None
        try:
            done = policy_rows_load(county=county, document=document, actor=actor)
        except PolicyFileRefused as refused:
            lines = [_("Nothing was saved: %(count)d problems.") % {"count": len(refused.problems)}]
            lines += [f"  {where}: {message}" for where, message in refused.problems]
            raise CommandError("\n".join(lines)) from None
        except ValidationError as refused:
            raise CommandError(" ".join(refused.messages)) from None
        except PermissionDenied as refused:
            raise CommandError(str(refused)) from None
        place = county.name if county else _("the defaults")
        for key, counts in done.items():
            self.stdout.write(
                _("%(place)s, %(policy)s: %(created)d rows added, %(kept)d already recorded")
                % {"place": place, "policy": key, **counts}
            )

    def _show(self, code, on):
        county = self._county(code)
        try:
            day = datetime.date.fromisoformat(on) if on else timezone.localdate()
        except ValueError:
            raise CommandError(_("%(day)s is not a date (YYYY-MM-DD).") % {"day": on}) from None
        for key, kind in sorted(policy_kinds().items()):
            try:
                row = policy_on(kind.model, day, county.pk if county else None)
            except PolicyNotInForce as missing:
                self.stdout.write(f"{key}: {missing.message}")
                continue
            figures = ", ".join(f"{name}={getattr(row, name)}" for name in kind.fields)
            whose = _("its own") if row.county_id else _("the default")
            self.stdout.write(
                _("%(policy)s on %(day)s: %(figures)s, from %(since)s (%(whose)s; %(source)s)")
                % {
                    "policy": key,
                    "day": day.isoformat(),
                    "figures": figures,
                    "since": row.effective_from.isoformat(),
                    "whose": whose,
                    "source": row.legal_source,
                }
            )
