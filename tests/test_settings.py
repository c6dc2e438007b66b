"""Settings from the environment: a laptop default, real services by URL, and a production that passes
``check --deploy``. Each case runs in a fresh interpreter, because settings are read once at start-up."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent

# Anything that could steer the settings; each test states what it sets.
STEERING = ("DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE")

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from luchen_care.celery import app
print(json.dumps({
    "debug": settings.DEBUG,
    "require_2fa": settings.REQUIRE_2FA,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "language": settings.LANGUAGE_CODE,
    "languages": [code for code, _name in settings.LANGUAGES],
    "time_zone": settings.TIME_ZONE,
    "celery_time_zone": app.conf.timezone,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "static_storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "secret_key_fallbacks": settings.SECRET_KEY_FALLBACKS,
    "log_format": settings.LOG_FORMAT,
    "conn_health_checks": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "static_root": str(settings.STATIC_ROOT),
}))
"""


def clean_env(**values):
    env = {k: v for k, v in os.environ.items() if k not in STEERING and not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "luchen_care.settings"
    env.update(values)
    return env


def run(args, **env):
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean_env(**env), capture_output=True, text=True, timeout=120
    )


def settings_with(**env):
    result = run(["-c", PRINT_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_env():
    return {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "care.example.gov.cn",
        "PUBLIC_BASE_URL": "https://care.example.gov.cn",
    }


def test_with_nothing_set_a_laptop_gets_sqlite_and_in_process_tasks():
    values = settings_with()

    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["db_name"] == str(BASE_DIR / "db.sqlite3")
    assert values["eager"] is True
    assert values["broker"] == "memory://"
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["require_2fa"] is False  # the demo accounts sign in with their password alone


def test_chinese_first_english_available_in_shanghai_time():
    values = settings_with()
    assert values["language"] == "zh-hans"
    assert values["languages"] == ["zh-hans", "en"]
    assert values["time_zone"] == values["celery_time_zone"] == "Asia/Shanghai"
    # And the suite itself runs with the same choices.
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_urls_switch_to_postgresql_and_redis():
    values = settings_with(
        DATABASE_URL="postgres://care:secret@db.internal:5432/luchen_care", REDIS_URL="redis://cache.internal:6379/0"
    )

    assert values["engine"] == "django.db.backends.postgresql"
    assert values["db_name"] == "luchen_care"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/0"
    # Clearing the cache empties its Redis database: it must never be the queue's.
    assert values["cache_location"] == "redis://cache.internal:6379/1"


def test_the_cache_database_can_be_named():
    values = settings_with(REDIS_URL="redis://127.0.0.1:6379/15", REDIS_CACHE_URL="redis://127.0.0.1:6379/3")

    assert values["broker"] == "redis://127.0.0.1:6379/15"
    assert values["cache_location"] == "redis://127.0.0.1:6379/3"


def test_production_passes_the_deploy_check_without_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_is_hardened():
    values = settings_with(**production_env())
    assert values["debug"] is False
    assert values["session_cookie_secure"] and values["csrf_cookie_secure"]
    assert values["hsts"] >= 31536000
    assert values["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["require_2fa"] is True  # staff sign in with a second factor
    assert values["log_format"] == "json"  # one JSON line per event, with the request id
    assert values["conn_health_checks"] is True  # a connection cut by a PostgreSQL restart is not reused
    assert settings_with(**production_env(), REQUIRE_2FA="false")["require_2fa"] is False  # unless switched off


def test_a_rotated_secret_key_keeps_the_previous_one_as_a_fallback():
    # README, Operations: sessions and links signed with the old key keep working for a day.
    values = settings_with(**production_env(), DJANGO_SECRET_KEY_FALLBACKS="old-key-1,old-key-2")
    assert values["secret_key_fallbacks"] == ["old-key-1", "old-key-2"]


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_the_deploy_check_does_fail_on_an_insecure_configuration():
    # The check above is meaningful: the same command flags a production without HTTPS redirects.
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **production_env(),
        DJANGO_SECURE_SSL_REDIRECT="false",
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


# --- Serving in production needs PostgreSQL and Redis ------------------------------------------------
# Each serving entry point is started for real, in production mode, without one of the URLs: it must
# exit at once naming what is missing, before it binds a port or consumes a queue.

SERVING = {
    "gunicorn": [
        str(Path(sys.executable).with_name("gunicorn")),
        "luchen_care.wsgi:application",
        "--bind",
        "127.0.0.1:0",
    ],
    "runserver": [sys.executable, "manage.py", "runserver", "127.0.0.1:0", "--noreload"],
    "celery worker": [sys.executable, "-m", "celery", "-A", "luchen_care", "worker", "--pool=solo", "-l", "INFO"],
    "celery beat": [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "luchen_care",
        "beat",
        "-l",
        "INFO",
        # beat opens its schedule file before anything else: serve() names one in the test's own
        # directory (never os.devnull, which shelve deletes and replaces when it cannot open it).
        "--schedule",
    ],
}
SERVICES = {
    "DATABASE_URL": "postgres://care:secret@db.internal:5432/luchen_care",
    "REDIS_URL": "redis://127.0.0.1:6379/11",
}


def serve(entry_point, tmp_path, **env):
    command = SERVING[entry_point]
    if entry_point == "celery beat":
        command = [*command, str(tmp_path / "celerybeat-schedule")]
    return subprocess.run(command, cwd=BASE_DIR, env=clean_env(**env), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("entry_point", SERVING)
@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_serving_refuses_to_start_without_its_services(entry_point, missing, tmp_path):
    services = {name: url for name, url in SERVICES.items() if name != missing}
    result = serve(entry_point, tmp_path, **production_env(), **services)

    assert result.returncode != 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "refuses to start" in output and f"{missing} is not set" in output
    assert "does not fall back to SQLite or to in-process tasks" in output
    assert "Listening at" not in output and "Starting development server" not in output
    assert "ready." not in output  # a worker never consumes


def test_production_serving_names_both_services_when_neither_is_set(tmp_path):
    result = serve("runserver", tmp_path, **production_env())
    assert result.returncode == 1
    assert "DATABASE_URL and REDIS_URL are not set" in result.stderr


def test_production_wsgi_loads_with_both_services_set(tmp_path):
    # The guard lets a configured production through (nothing connects at import time).
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    result = run(
        ["-c", "import luchen_care.wsgi; print('loaded')"],
        **production_env(),
        **SERVICES,
        DJANGO_STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout


@pytest.mark.parametrize("entry_point", ["gunicorn", "wsgi"])
def test_a_production_web_server_refuses_to_start_before_collectstatic(entry_point, tmp_path):
    # Without the manifest every page naming a static file would be a 500: refuse, and say what to run.
    command = SERVING["gunicorn"] if entry_point == "gunicorn" else [sys.executable, "-c", "import luchen_care.wsgi"]
    result = subprocess.run(
        command,
        cwd=BASE_DIR,
        env=clean_env(**production_env(), **SERVICES, DJANGO_STATIC_ROOT=str(tmp_path / "empty")),
        capture_output=True,
        text=True,
        timeout=60,
    )

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "static files have not been collected" in output and "scripts/entrypoint collectstatic" in output
    assert "Listening at" not in output


def test_build_steps_need_no_services():
    # As the Dockerfile builds the image and CI checks it: production settings, no DATABASE_URL or REDIS_URL.
    result = run(["manage.py", "collectstatic", "--noinput", "--dry-run"], **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(["manage.py", "check", "--deploy"], **production_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_its_public_address_fails_the_deploy_check():
    env = production_env()
    del env["PUBLIC_BASE_URL"]
    result = run(["manage.py", "check", "--deploy"], **env)
    assert result.returncode != 0 and "documents.E001" in result.stdout + result.stderr


def test_collectstatic_writes_to_the_project_folder_unless_told_where(tmp_path):
    assert settings_with()["static_root"] == str(BASE_DIR / "staticfiles")
    assert settings_with(DJANGO_STATIC_ROOT=str(tmp_path / "static"))["static_root"] == str(tmp_path / "static")
