"""API tokens for other systems: stored hashed, named, expiring, rotated with an overlap, revocable,
their last use recorded, their key shown once and readable nowhere else (admin pages, database)."""

import datetime
import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from luchen_care.accounts.models import ApiToken, Role, api_token_hash
from luchen_care.accounts.services import (
    TOKEN_EXPIRY_TOPIC,
    api_token_issue,
    api_token_revoke,
    api_token_rotate,
)
from luchen_care.accounts.tasks import api_token_expiry_notices
from luchen_care.exchange.models import Channel, PushDelivery
from luchen_care.regions.models import County
from tests.accounts.factories import api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/institutions/"
TOKEN = "/api/v1/auth/token/"
ROTATE = "/api/v1/auth/token/rotate/"
PASSWORD = "pw-Lucheng-2026"


def api(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def lucheng():
    return County.objects.get(code="330302")


@pytest.fixture
def system(lucheng):
    """An API client granted 鹿城: its county administrator's to manage."""
    user = UserFactory(username="dsj-center", role=Role.API_CLIENT, is_staff=False)
    user.scope_counties.set([lucheng])
    return user


@pytest.fixture
def county_admin(db):
    return UserFactory(username="lc-admin", role=Role.HEALTH_BUREAU, county_administrator=True)


# --- the API --------------------------------------------------------------------------------------


def test_the_exchange_names_the_token_and_says_when_it_expires(system, settings):
    response = APIClient().post(
        TOKEN, {"username": "dsj-center", "password": PASSWORD, "name": "区大数据管理中心"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get(user=system)
    assert body["name"] == token.name == "区大数据管理中心"
    assert token.prefix == body["token"][:8] and token.key_hash == api_token_hash(body["token"])
    expected = token.created_at + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert token.expires_at == expected
    assert datetime.datetime.fromisoformat(body["expires_at"]) == expected
    assert token.history.get().history_user == system  # issued by itself, with its password


def test_a_token_past_its_expiry_answers_401(system):
    key = api_token(system)
    assert api(key).get(LIST).status_code == 200
    ApiToken.objects.filter(user=system).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = api(key).get(LIST)
    assert response.status_code == 401 and error_code(response) == "token_expired"
    assert response.json()["error"]["message"]


def test_a_revoked_token_answers_401_and_a_client_revokes_its_own(system):
    key, other = api_token(system, name="甲系统"), api_token(system, name="乙系统")
    assert api(key).delete(TOKEN).status_code == 204
    response = api(key).get(LIST)
    assert response.status_code == 401 and error_code(response) == "token_revoked"
    token = ApiToken.objects.get(key_hash=api_token_hash(key))
    assert token.revoked_by == system and token.history.latest().history_user == system
    assert api(other).get(LIST).status_code == 200  # its other tokens are untouched
    assert api(key).delete(TOKEN).status_code == 401  # nor can a revoked token act
    assert APIClient().delete(TOKEN).status_code == 401


def test_an_unknown_or_malformed_token_answers_401_with_its_message():
    for header in ("Token 0123456789abcdef0123456789abcdef01234567", "Token", "Token a b"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(LIST)
        assert response.status_code == 401 and error_code(response) == "authentication_failed"


def test_a_rotated_token_works_beside_the_new_one_until_the_overlap_ends(system, settings):
    old_key = api_token(system, name="区大数据管理中心")
    response = api(old_key).post(ROTATE)
    assert response.status_code == 200
    body = response.json()
    new_key = body["token"]
    assert body["name"] == "区大数据管理中心" and new_key != old_key
    assert api(old_key).get(LIST).status_code == 200 and api(new_key).get(LIST).status_code == 200

    old = ApiToken.objects.get(key_hash=api_token_hash(old_key))
    new = ApiToken.objects.get(key_hash=api_token_hash(new_key))
    assert new.replaces == old and old.state() == "expiring" and new.state() == "live"
    overlap = datetime.timedelta(hours=settings.API_TOKEN_ROTATION_OVERLAP_HOURS)
    assert old.expires_at == old.rotated_at + overlap
    assert datetime.datetime.fromisoformat(body["previous_expires_at"]) == old.expires_at
    assert old.history.latest().history_user == system  # attributable: who rotated, old → new expiry
    assert old.history.latest().prev_record.expires_at > old.expires_at

    # The overlap ends: the old key answers 401, the new one goes on.
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api(old_key).get(LIST).status_code == 401
    assert api(new_key).get(LIST).status_code == 200
    # A replaced token is not rotated again.
    assert api(new_key).post(ROTATE).status_code == 200


def test_a_rotation_long_ago_has_ended_its_overlap(system, settings):
    hours = settings.API_TOKEN_ROTATION_OVERLAP_HOURS
    then = timezone.now() - datetime.timedelta(hours=hours + 1)
    old_key = api_token(system, name="区大数据管理中心", now=then)
    new = api_token_rotate(actor=system, token=ApiToken.objects.get(user=system), now=then)
    assert api(old_key).get(LIST).status_code == 401
    assert api(new.key).get(LIST).status_code == 200


def test_the_overlap_never_outlives_the_old_tokens_expiry(system):
    key = api_token(system)
    soon = timezone.now() + datetime.timedelta(hours=2)
    ApiToken.objects.filter(user=system).update(expires_at=soon)
    assert api(key).post(ROTATE).status_code == 200
    assert ApiToken.objects.get(key_hash=api_token_hash(key)).expires_at == soon


def test_only_a_live_token_is_rotated(system):
    key = api_token(system)
    token = ApiToken.objects.get(user=system)
    api_token_rotate(actor=system, token=token)
    response = api(key).post(ROTATE)  # in its overlap: it still authenticates, but is no longer live
    assert response.status_code == 400 and "token" in response.json()["error"]["fields"]
    assert ApiToken.objects.filter(user=system).count() == 2


def test_rotating_needs_the_token_itself_not_a_session(client, system):
    client.force_login(UserFactory(role="", is_superuser=True))
    assert client.post(ROTATE, content_type="application/json").status_code == 401
    assert client.delete(TOKEN).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute_without_history(system):
    key = api_token(system)
    token = ApiToken.objects.get(user=system)
    assert token.last_used_at is None
    api(key).get(LIST)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api(key).get(LIST)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: not written again
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    api(key).get(LIST)
    token.refresh_from_db()
    assert token.last_used_at > first
    assert token.history.count() == 1  # a use is not a change


def test_a_password_change_by_an_administrator_revokes_the_clients_tokens(client, system, county_admin):
    key = api_token(system)
    client.force_login(county_admin)
    url = reverse("admin:auth_user_password_change", args=[system.pk])
    response = client.post(url, {"password1": "Ouhai-river-2026", "password2": "Ouhai-river-2026"})
    assert response.status_code == 302
    assert api(key).get(LIST).status_code == 401
    token = ApiToken.objects.get(user=system)
    assert token.state() == "revoked" and token.history.latest().history_user == county_admin


def test_the_schema_documents_rotation_and_revocation(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "post" in schema["paths"][ROTATE] and "delete" in schema["paths"][TOKEN]
    exchange = schema["paths"][TOKEN]["post"]
    assert exchange["requestBody"]["content"]["application/json"]["examples"]
    assert {"token", "expires_at", "name"} <= set(schema["components"]["schemas"]["TokenResponse"]["properties"])


# --- the admin ------------------------------------------------------------------------------------


def admin_pages(client, token, user):
    """Every admin page of ``token`` and of its account, history lists and versions included."""
    urls = [
        reverse("admin:index"),
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_changelist") + f"?q={token.prefix}",
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        reverse("admin:accounts_apitoken_history", args=[token.pk]),
        reverse("admin:accounts_user_change", args=[user.pk]),
        reverse("admin:accounts_user_history", args=[user.pk]),
    ]
    urls += [
        reverse("admin:accounts_apitoken_simple_history", args=[token.pk, version.history_id])
        for version in token.history.all()
    ]
    urls += [
        reverse("admin:accounts_user_simple_history", args=[user.pk, version.history_id])
        for version in user.history.all()
    ]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    return pages


def secrets_of(keys):
    return [value for key in keys for value in (key, api_token_hash(key))]


def assert_nowhere(client, keys, tokens, user):
    secrets = secrets_of(keys)
    for token in tokens:
        for url, page in admin_pages(client, token, user).items():
            assert not [s for s in secrets if s in page], url
    for entry in LogEntry.objects.all():
        assert not [s for s in secrets if s in f"{entry.object_id} {entry.object_repr} {entry.change_message}"]
    for morsel in client.cookies.values():  # the messages cookie, the session cookie
        assert not [s for s in secrets if s in morsel.value]


def keys_on(response):
    return re.findall(r'class="vTextField api-token-key" value="([0-9a-f]{40})"', response.content.decode())


def test_the_key_is_shown_once_and_on_no_admin_page_after(client, system, county_admin):
    client.force_login(county_admin)
    response = client.post(reverse("admin:accounts_apitoken_add"), {"user": system.pk, "name": "区大数据管理中心"})
    assert response.status_code == 200
    (key,) = keys_on(response)
    token = ApiToken.objects.get(user=system)
    assert token.key_hash == api_token_hash(key) and token.created_by == county_admin
    assert str(timezone.localtime(token.expires_at).year) in response.content.decode()
    assert api(key).get(LIST).status_code == 200

    # Rotate through the admin: it asks first, then shows the new key once.
    changelist = reverse("admin:accounts_apitoken_changelist")
    selection = {"action": "rotate", "_selected_action": [token.pk], "index": "0"}
    confirm = client.post(changelist, selection)
    assert confirm.status_code == 200 and 'id="api-token-rotate-form"' in confirm.content.decode()
    assert ApiToken.objects.filter(user=system).count() == 1
    rotated = client.post(changelist, {**selection, "apply": "1"})
    (new_key,) = keys_on(rotated)
    new = ApiToken.objects.get(key_hash=api_token_hash(new_key))
    assert new.replaces == token and new.created_by == county_admin
    assert api(key).get(LIST).status_code == 200 and api(new_key).get(LIST).status_code == 200

    # Revoke the new one through the admin.
    revoke = {"action": "revoke", "_selected_action": [new.pk], "index": "0", "apply": "1"}
    assert client.post(changelist, revoke).status_code == 302
    assert api(new_key).get(LIST).status_code == 401
    listing = client.get(changelist).content.decode()
    assert "区大数据管理中心" in listing and token.prefix in listing

    assert_nowhere(client, [key, new_key], [token, new], system)
    client.force_login(UserFactory(role="", is_superuser=True))
    assert_nowhere(client, [key, new_key], [token, new], system)


def test_the_admin_refuses_a_second_live_token_of_the_same_name(client, system, county_admin):
    api_token(system, name="区大数据管理中心")
    client.force_login(county_admin)
    response = client.post(reverse("admin:accounts_apitoken_add"), {"user": system.pk, "name": "区大数据管理中心"})
    assert response.status_code == 200 and "name" in response.context["adminform"].form.errors
    assert ApiToken.objects.filter(user=system).count() == 1


def test_a_county_administrator_cannot_touch_another_countys_client_token(client, county_admin, db):
    outsider = UserFactory(username="city-system", role=Role.API_CLIENT, is_staff=False)  # no county: a superuser's
    key = api_token(outsider)
    token = ApiToken.objects.get(user=outsider)
    with pytest.raises(Exception):  # noqa: B017  (PermissionDenied or ValidationError: refused either way)
        api_token_revoke(actor=county_admin, token=token)
    with pytest.raises(Exception):  # noqa: B017
        api_token_issue(actor=county_admin, user=outsider, name="越权")
    client.force_login(county_admin)
    assert client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).status_code == 404
    assert api(key).get(LIST).status_code == 200


# --- the database ---------------------------------------------------------------------------------


def test_no_key_is_stored_in_plain_text_anywhere_in_the_database(client, system, county_admin):
    exchanged = APIClient().post(TOKEN, {"username": "dsj-center", "password": PASSWORD}, format="json").json()
    rotated = api(exchanged["token"]).post(ROTATE).json()
    client.force_login(county_admin)
    added = client.post(reverse("admin:accounts_apitoken_add"), {"user": system.pk, "name": "区大数据管理中心"})
    token = ApiToken.objects.get(key_hash=api_token_hash(keys_on(added)[0]))
    selection = {"action": "rotate", "_selected_action": [token.pk], "index": "0", "apply": "1"}
    admin_rotated = client.post(reverse("admin:accounts_apitoken_changelist"), selection)
    keys = [exchanged["token"], rotated["token"], *keys_on(added), *keys_on(admin_rotated)]
    assert len(set(keys)) == 4
    for key in keys:
        assert api(key).get(LIST).status_code == 200

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            quoted = connection.ops.quote_name(table)
            for key in keys:
                cursor.execute(f"SELECT count(*) FROM {quoted} AS row WHERE row::text LIKE %s", [f"%{key}%"])
                assert cursor.fetchone()[0] == 0, (table, key)
        # The scan finds what is there: each key's hash, in the token table.
        cursor.execute(
            "SELECT count(*) FROM accounts_apitoken AS row WHERE row::text LIKE %s", [f"%{api_token_hash(keys[0])}%"]
        )
        assert cursor.fetchone()[0] == 1
    assert "authtoken_token" not in tables


def test_the_migration_converts_drf_tokens_so_existing_keys_keep_working(system):
    key = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, user_id bigint)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [key, system.pk])
    migration = importlib.import_module("luchen_care.accounts.migrations.0008_convert_drf_tokens")
    with connection.schema_editor() as editor:
        migration.convert(django_apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=system)
    assert token.name == "API" and token.key_hash == api_token_hash(key) and token.prefix == key[:8]
    assert api(key).get(LIST).status_code == 200


# --- the expiry notice ----------------------------------------------------------------------------


def test_a_token_about_to_expire_is_noticed_once_to_its_clients_county(system, settings):
    days = settings.API_TOKEN_TTL_DAYS
    long_ago = timezone.now() - datetime.timedelta(days=days - 5)  # expires in 5 days
    api_token(system, name="快到期", now=long_ago)
    api_token(system, name="还早")  # expires in TTL days
    api_token(system, name="已吊销", now=long_ago)
    api_token_revoke(actor=system, token=ApiToken.objects.get(name="已吊销"))
    api_token(system, name="已轮换", now=long_ago)
    api_token_rotate(actor=system, token=ApiToken.objects.get(name="已轮换"))  # its successor: live, far off

    assert api_token_expiry_notices() == 1
    assert api_token_expiry_notices() == 0  # the next day's run: already noticed
    (row,) = PushDelivery.objects.filter(topic=TOKEN_EXPIRY_TOPIC)
    expiring = ApiToken.objects.get(name="快到期")
    assert row.subject == expiring and row.channel == Channel.INBOX and row.destination == "330302"
    assert "快到期" in row.payload["title"] and expiring.prefix in row.payload["text"]
