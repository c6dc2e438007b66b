from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from registry.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


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
        created = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "演示数据已就绪 / demo data ready: "
                f"{created['institutions']} institutions, {created['users']} users, "
                f"{created['populations']} population rows, {created['registrations']} registrations created."
            )
        )
        self.stdout.write(f"\n演示账号 / demo logins (password for all: {DEMO_PASSWORD})")
        for username, role, _extra, display in DEMO_USERS:
            self.stdout.write(f"  {username:<14} {role or 'superuser':<24} {display}")
        token = Token.objects.filter(user__username="api").values_list("key", flat=True).first()
        if token:
            self.stdout.write(f"\nAPI token of user 'api': {token}")
        self.stdout.write("\n管理后台 / admin: http://127.0.0.1:8000/admin/   API: http://127.0.0.1:8000/api/docs/")
