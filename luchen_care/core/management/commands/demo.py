"""``manage.py demo``: migrate, then load every app's demo data.

Each app that has demo data keeps it in its own ``<app>/demo.py``, with
``load_demo() -> dict`` (what it created, by kind; a second run creates nothing) and, if
it has something to tell the person at the keyboard (logins, tokens), ``demo_notes() ->
list[str]``. Apps are loaded in ``INSTALLED_APPS`` order, so an app's demo may use the data
of the apps it depends on. The command knows no app by name.
"""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import module_has_submodule


def demo_modules():
    """The ``demo`` modules of the installed project apps, in ``INSTALLED_APPS`` order."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "demo"):
            module = import_module(f"{config.name}.demo")
            if callable(getattr(module, "load_demo", None)):
                yield config, module


class Command(BaseCommand):
    help = "Migrate the database and load the demo data (idempotent: a second run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="Do not run migrations first.")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off. The demo creates a superuser 'admin' whose password is published.",
        )

    def handle(self, *args, **options):
        # The demo accounts, the superuser included, share a password printed in the README:
        # on a production database they would be an open door.
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "拒绝运行：DEBUG 已关闭（生产配置），演示数据会创建使用公开密码的超级用户 admin。\n"
                "Refusing to run with DEBUG off (a production configuration): the demo creates the superuser "
                "'admin' and other accounts with the password published in the README. "
                "Pass --allow-production only for a throwaway demonstration server."
            )
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        loaded = [(config, module, module.load_demo()) for config, module in demo_modules()]
        summary = "; ".join(
            f"{config.label}: " + ", ".join(f"{count} {kind}" for kind, count in created.items())
            for config, _module, created in loaded
        )
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪 / demo data ready: {summary} created."))
        for _config, module, _created in loaded:
            notes = getattr(module, "demo_notes", None)
            for line in notes() if notes else []:
                self.stdout.write(line)
        self.stdout.write("\n管理后台 / admin: http://127.0.0.1:8000/admin/   API: http://127.0.0.1:8000/api/docs/")
