"""Channels per county: in a city deployment each county's registrations and daily digest go to that
county's own exchange endpoint and DingTalk robot, signed with its own secret; a county without its
own uses the deployment's default (the environment variables), as a single-county deployment does."""

import datetime
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Role
from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.services import delivery_attempt
from luchen_care.exchange.signature import verify
from registry.models import DigestRun
from registry.services.push import overdue_digest_send, registration_deliveries
from registry.services.streets import county_streets_load
from tests.factories import InstitutionFactory, UserFactory, street

from .conftest import SECRET, make_registration

pytestmark = pytest.mark.django_db

LONGWAN_SECRET = "longwan-own-secret"


@pytest.fixture
def two_counties(push_settings, receiver):
    """鹿城 on the default endpoint (listed for it); 龙湾 with its own endpoint, secret and robot."""
    county_streets_load(code="330303")
    push_settings.DEFAULT_CHANNEL_COUNTIES = ["330302"]
    push_settings.COUNTY_CHANNELS = {
        "330303": {
            "HEALTH_BUREAU_PUSH_URL": f"{receiver.url}/longwan/exchange",
            "HEALTH_BUREAU_PUSH_SECRET": LONGWAN_SECRET,
            "DINGTALK_WEBHOOK_URL": f"{receiver.url}/longwan/robot",
        }
    }
    receiver.answer("/longwan/robot", (200, b'{"errcode": 0, "errmsg": "ok"}'))
    return push_settings


def deliver(registration):
    rows = {row.channel: row for row in registration_deliveries(registration)}
    for row in rows.values():
        delivery_attempt(delivery_id=row.pk)
    return rows


def test_each_countys_registration_goes_to_its_own_endpoint_signed_with_its_own_secret(two_counties, receiver):
    lucheng = make_registration()
    longwan = make_registration(institution=InstitutionFactory(street=street("330303006")))

    lucheng_rows, longwan_rows = deliver(lucheng), deliver(longwan)

    # 鹿城: the default endpoint (no robot by default); 龙湾: its own endpoint and its own robot.
    assert set(lucheng_rows) == {Channel.INBOX, Channel.WEBHOOK}
    assert set(longwan_rows) == {Channel.INBOX, Channel.WEBHOOK, Channel.DINGTALK}
    assert {row.destination for row in longwan_rows.values()} == {"330303"}
    (at_default,) = receiver.received("/exchange/registrations")
    (at_longwan,) = receiver.received("/longwan/exchange")
    assert at_default.json()["registration"]["id"] == lucheng.pk
    assert at_longwan.json()["registration"]["id"] == longwan.pk
    assert verify(at_default.body, at_default.headers["x-signature"], SECRET)
    assert verify(at_longwan.body, at_longwan.headers["x-signature"], LONGWAN_SECRET)
    assert not verify(at_longwan.body, at_longwan.headers["x-signature"], SECRET)
    (robot,) = receiver.received("/longwan/robot")
    assert robot.json()["markdown"]["text"].startswith("#### 龙湾托育：")
    for registration in (lucheng, longwan):
        registration.refresh_from_db()
        assert registration.push_status == "pushed"


def test_a_county_with_its_own_endpoint_but_no_secret_is_refused_not_signed_with_the_default(two_counties, receiver):
    del two_counties.COUNTY_CHANNELS["330303"]["HEALTH_BUREAU_PUSH_SECRET"]
    registration = make_registration(institution=InstitutionFactory(street=street("330303006")))
    rows = deliver(registration)
    webhook = PushDelivery.objects.get(pk=rows[Channel.WEBHOOK].pk)
    assert webhook.status == DeliveryStatus.FAILED
    assert "HEALTH_BUREAU_PUSH_SECRET" in webhook.last_error
    assert receiver.received("/longwan/exchange") == [] and receiver.received("/exchange/registrations") == []


def test_once_counties_have_their_own_a_county_without_its_own_and_not_listed_gets_no_endpoint(two_counties, receiver):
    # 鹿城's settings missing (say a misspelt variable) in a deployment where 龙湾 has its own: its
    # registrations stay in the platform's inbox rather than go to another bureau's endpoint.
    two_counties.DEFAULT_CHANNEL_COUNTIES = []
    registration = make_registration()
    rows = deliver(registration)
    assert set(rows) == {Channel.INBOX}
    assert receiver.received() == []
    registration.refresh_from_db()
    assert registration.push_status == "pushed"  # the inbox is the push when there is no webhook


def test_county_channels_are_read_from_the_environment_with_the_county_code_as_suffix():
    env = dict(
        os.environ,
        HEALTH_BUREAU_PUSH_URL__330303="https://longwan.example/exchange",
        HEALTH_BUREAU_PUSH_SECRET__330303="s3",
        DINGTALK_WEBHOOK_URL__33030="https://not-a-county-code.example",
    )
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(sorted(settings.COUNTY_CHANNELS.items()))"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == str(
        [("330303", {"HEALTH_BUREAU_PUSH_SECRET": "s3", "HEALTH_BUREAU_PUSH_URL": "https://longwan.example/exchange"})]
    )


def test_each_county_gets_its_own_daily_digest_on_its_own_channels_and_its_bureau_reads_only_its_own(
    two_counties, receiver, client
):
    past = datetime.date.today() - datetime.timedelta(days=30)
    lucheng = make_registration(registered_on=past, enqueue=False)
    longwan = make_registration(
        registered_on=past, enqueue=False, institution=InstitutionFactory(street=street("330303006"))
    )

    assert overdue_digest_send() == {"330302": "enqueued", "330303": "enqueued"}
    assert overdue_digest_send() == {"330302": "already done today", "330303": "already done today"}
    runs = {run.county.code: run for run in DigestRun.objects.select_related("county")}
    assert runs["330302"].registration_ids == [lucheng.pk] and runs["330303"].registration_ids == [longwan.pk]
    for row in PushDelivery.objects.filter(topic="registry.overdue_digest"):
        delivery_attempt(delivery_id=row.pk)
    (lucheng_digest,) = [r for r in receiver.received("/exchange/registrations") if "digest_id" in r.json()]
    (longwan_digest,) = [r for r in receiver.received("/longwan/exchange") if "digest_id" in r.json()]
    assert lucheng_digest.json()["county"] == {"code": "330302", "name": "鹿城区"}
    assert [r["id"] for r in longwan_digest.json()["registrations"]] == [longwan.pk]
    assert verify(longwan_digest.body, longwan_digest.headers["x-signature"], LONGWAN_SECRET)

    from luchen_care.regions.models import County

    bureau = UserFactory(role=Role.HEALTH_BUREAU, county=County.objects.get(code="330303"))
    client.force_login(bureau)
    page = client.get(reverse("admin:registry_digestrun_changelist")).content.decode()
    assert "龙湾区" in page and "鹿城" not in page
    assert client.get(reverse("admin:registry_digestrun_change", args=[runs["330302"].pk])).status_code == 404
    assert client.get(reverse("admin:registry_digestrun_change", args=[runs["330303"].pk])).status_code == 200


def test_pushing_many_registrations_costs_the_same_queries_whatever_their_number_and_counties(two_counties):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registry.models import Registration
    from registry.services.push import registration_pushes_enqueue

    def registrations(n):
        made = [
            make_registration(enqueue=False, institution=InstitutionFactory(street=street(code)))
            for code in (["330302006", "330303006"] * n)[:n]
        ]
        return list(Registration.objects.filter(pk__in=[r.pk for r in made]))  # nothing preloaded

    few, many = registrations(3), registrations(12)
    with CaptureQueriesContext(connection) as three:
        registration_pushes_enqueue(registrations=few)
    with CaptureQueriesContext(connection) as twelve:
        registration_pushes_enqueue(registrations=many)
    assert len(twelve.captured_queries) <= len(three.captured_queries)
    assert {d.destination for d in PushDelivery.objects.filter(subject_id__in=[r.pk for r in many])} == {
        "330302",
        "330303",
    }
