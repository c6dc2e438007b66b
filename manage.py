#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luchen_care.settings")
    from django.core.management import execute_from_command_line

    if sys.argv[1:2] == ["runserver"]:
        # Serving, unlike collectstatic or check --deploy: production needs its database and broker.
        from luchen_care.serving import ServicesMissing, require_services

        try:
            require_services("manage.py runserver")
        except ServicesMissing as exc:
            sys.exit(str(exc))
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
