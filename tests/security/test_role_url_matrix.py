"""The net under every change: every URL of the platform, for every role, against a hand-written table.

How it works:
- **A fixed world** (``world``): two streets (五马, 七都), an institution of every kind, every
  registration authority, a chain whose head office and branch sit in different streets, a
  registration (with its history row and outbox rows) for each institution, and one row of
  each kind of district record. One user per role, and an API client with a narrowed grant.
- **A hand-written expectation table** (``SEES_INSTITUTIONS`` … ``DELETES``): for each role,
  which records it should see and which it may change. It is written out by hand, not
  computed by the code under test, so a wrong scope rule fails here.
- **Every URL, generated**: the URLconf is walked (``url_patterns``); each pattern is classified
  by ``classify``. A URL that cannot be classified fails ``test_every_url_is_classified`` until
  someone adds it to ``classify`` — so a URL added later is covered without editing the probes.
- **For each role × URL × (one in-scope record, one out-of-scope record)** it checks: in-scope
  records are reachable where the table says so; out-of-scope records answer 404 or 403 and
  the body holds none of the record's identifying values (number, credit code, name,
  representative); each write the table forbids is refused and the database is unchanged
  (writes are sent with a body that would succeed if they were allowed: see
  ``test_the_write_probes_would_change_a_record_if_allowed``); no answer is a 500.

The figures (URLs, roles, requests, leaks, forbidden writes) are printed at the end of the run
(``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

import contextlib
import datetime
import html
import io
import json
import zipfile
from dataclasses import dataclass, field

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.cache import cache
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from luchen_care.accounts.models import ApiToken, Authority, Invitation, PasswordReset, Role, User, api_token_hash
from luchen_care.accounts.permissions import works_in_admin
from luchen_care.accounts.services.institution_accounts import invitation_issue
from luchen_care.audit.models import AccessAction, Face, PersonalDataAccess
from luchen_care.core.masking import mask_name
from luchen_care.documents.layout import Document
from luchen_care.documents.models import IssuedDocument
from luchen_care.documents.selectors import document_file, document_latest
from luchen_care.documents.services import document_issue
from luchen_care.exchange.models import Channel, DeliveryStatus, PushDelivery
from luchen_care.exchange.services import person_notice_enqueue
from luchen_care.files.models import StoredFile
from luchen_care.files.services import stored_file_save
from luchen_care.regions.models import County
from luchen_care.workdays.models import WorkdayOverride
from registry.models import (
    DigestRun,
    Filing,
    FilingDeadlinePolicy,
    FilingSection,
    FilingTransition,
    GuidedFeePolicy,
    InboxEntry,
    Institution,
    InstitutionKind,
    Ownership,
    PortalSignup,
    PushWindowPolicy,
    Registration,
    RegistrationSource,
    Street,
    StreetPopulation,
)
from registry.services import filings as filing_services
from registry.services.filing_documents import FILING_RECEIPT
from registry.services.filings import filing_open
from registry.services.push import registration_deliveries
from registry.services.receipts import registration_receipt
from registry.services.registrations import registration_record
from registry.services.signups import portal_signup_request
from registry.services.streets import county_streets_load
from tests.accounts.factories import api_token
from tests.factories import InstitutionFactory, make_credit_code, street
from tests.files.samples import ELF, pdf_bytes, upload
from tests.otp import sign_in
from tests.registry.filing_factories import institution_user, section_input, submitted_filing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_sign_in(settings):
    """The net signs each role in as production does: with the second factor staff must give."""
    settings.REQUIRE_2FA = True


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The world's uploaded files (one per institution) are kept in the test's own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


WUMA, QIDU = "330302006", "330302023"
ZHUANGYUAN = "330303006"  # 状元街道 of 龙湾区, the second county
LUCHENG, LONGWAN, WENZHOU = "330302", "330303", "3303"

# --- the hand-written expectation table ----------------------------------------------------------

ROLES = [
    "superuser",
    "health",
    "education",
    "market",
    "civil",
    "establishment",
    "wuma",
    "institution",
    "api",
    "longwan",  # 龙湾区's health bureau
    "city",  # 温州市's health commission: both counties, read-only
    "anonymous",
]
ADMIN_ROLES = {"superuser", "health", "education", "market", "civil", "establishment", "wuma", "longwan", "city"}
BUREAU = {"superuser", "health"}
# Who administers county data (streets' populations, the calendar, push windows): a county's health bureau.
COUNTY_BUREAUS = BUREAU | {"longwan"}
AUTHORITIES = {"market", "civil", "establishment"}
AUTHENTICATED = set(ROLES) - {"anonymous"}

INSTITUTIONS = [
    "wuma_standalone",  # 五马, stand-alone, private, 市场监管局
    "wuma_family",  # 五马, family care point, 市场监管局
    "qidu_employer",  # 七都, employer-run, 市场监管局
    "wuma_nursery",  # 五马, kindergarten nursery class, public, 区委编办
    "qidu_nursery",  # 七都, nursery class, public, 区委编办
    "qidu_head",  # 七都, community-embedded chain head office, 民政局
    "wuma_branch",  # 五马, its branch, 民政局
    "qidu_standalone",  # 七都, stand-alone, non-profit, 民政局
    "longwan_standalone",  # 龙湾 状元, stand-alone, private, 市场监管局 (of 龙湾)
    "longwan_nursery",  # 龙湾 状元, nursery class, public, 区委编办 (of 龙湾)
]
ALL = frozenset(INSTITUTIONS)
LONGWAN_INSTITUTIONS = frozenset({"longwan_standalone", "longwan_nursery"})
LUCHENG_INSTITUTIONS = ALL - LONGWAN_INSTITUTIONS
NONE = frozenset()

# Which institutions each role sees, on every face (admin, API, exports).
SEES_INSTITUTIONS = {
    "superuser": ALL,
    "health": LUCHENG_INSTITUTIONS,
    "education": {"wuma_nursery", "qidu_nursery"},
    "market": {"wuma_standalone", "wuma_family", "qidu_employer"},
    "civil": {"qidu_head", "wuma_branch", "qidu_standalone"},
    "establishment": {"wuma_nursery", "qidu_nursery"},
    "wuma": {"wuma_standalone", "wuma_family", "wuma_nursery", "wuma_branch"},
    "institution": {"qidu_head", "wuma_branch"},  # a chain head office: itself and its branch
    "api": {"qidu_employer", "qidu_standalone"},  # granted 七都, stand-alone and employer-run only
    "longwan": LONGWAN_INSTITUTIONS,
    "city": ALL,
    "anonymous": NONE,
}
# Which institutions each role may change.
CHANGES_INSTITUTIONS = {
    "superuser": ALL,
    "health": LUCHENG_INSTITUTIONS,
    "education": {"wuma_nursery", "qidu_nursery"},
    "longwan": LONGWAN_INSTITUTIONS,
}
# Which registrations (named by the institution they registered) each role sees.
SEES_REGISTRATIONS = {
    "superuser": ALL,
    "health": LUCHENG_INSTITUTIONS,
    "education": {"wuma_nursery", "qidu_nursery"},
    "market": {"wuma_standalone", "wuma_family", "qidu_employer"},
    "civil": {"qidu_head", "wuma_branch", "qidu_standalone"},
    "establishment": {"wuma_nursery", "qidu_nursery"},
    "wuma": {"wuma_standalone", "wuma_family", "wuma_nursery", "wuma_branch"},
    "institution": {"qidu_head", "wuma_branch"},
    "api": {"qidu_employer", "qidu_standalone"},
    "longwan": LONGWAN_INSTITUTIONS,
    "city": ALL,
    "anonymous": NONE,
}
# The district bureaus' pages of the push, read-only: the inbox awaiting filing and the outbox's
# deliveries (named by the institution whose registration they carry). Only the roles listed
# reach the page; each reads the rows of the registrations it sees.
SEES_INBOX_ENTRIES = {
    "superuser": ALL,
    "health": LUCHENG_INSTITUTIONS,
    "education": {"wuma_nursery", "qidu_nursery"},
    "longwan": LONGWAN_INSTITUTIONS,
    "city": ALL,
}
SEES_PUSH_DELIVERIES = SEES_INBOX_ENTRIES
# The institution portal's inbox (luchen_care.exchange): a notice to each institution waits there;
# only the portal's people read it, each the notices of the institutions it sees (the chain's head
# office its own and its branch's). Staff read them in the outbox's admin, never in the portal.
SEES_PORTAL_MESSAGES = {"institution": {"qidu_head", "wuma_branch"}}
# The institutions' filings in the portal (registry_portal:filing…): 七都's head office's and 五马's
# stand-alone institution's, each returned by the health bureau with its notice. Only the portal's people
# reach them, each the filings of the institutions it files for; staff review them elsewhere.
PORTAL_FILING_KEYS = ["qidu_head", "wuma_standalone"]
SEES_PORTAL_FILINGS = {"institution": {"qidu_head"}}
# Institutions' portal sign-ups awaiting activation (one pending for each institution but the one
# with an account, ``SIGNUP_KEYS``), named by their institution: the district bureaus read them as
# they read the inbox; those who may change the institution activate or reject them (``changes``).
SIGNUP_KEYS = [key for key in INSTITUTIONS if key != "qidu_head"]
SEES_PORTAL_SIGNUPS = {role: set(keys) & set(SIGNUP_KEYS) for role, keys in SEES_INBOX_ENTRIES.items()}
BUREAU_PAGES = {
    "inboxentry": SEES_INBOX_ENTRIES,
    "pushdelivery": SEES_PUSH_DELIVERIES,
    "portalsignup": SEES_PORTAL_SIGNUPS,
}
# District records in the admin: (roles that see every row, roles that may change them).
# Streets and their populations are each county's: those roles see the rows of their own county
# (COUNTY_ROWS); the calendar and the push window are one for the deployment.
DISTRICT_RECORDS = {
    "street": (ADMIN_ROLES, COUNTY_BUREAUS),
    "streetpopulation": (ADMIN_ROLES, COUNTY_BUREAUS),
    "workdayoverride": (ADMIN_ROLES, COUNTY_BUREAUS),
    # The seeded push window is the default every county follows: only the superuser corrects it
    # (a county's bureau adds rows of its own county, ADDS below).
    "pushwindowpolicy": (ADMIN_ROLES, {"superuser"}),
    # A county's daily digest lists its overdue registrations: its bureau and its city's
    # commission read it (DIGEST_ROWS), nobody changes it.
    "digestrun": (COUNTY_BUREAUS | {"city"}, set()),
    # The seeded filing deadline rule and a default guided fee range: every county's, the superuser's to
    # correct (a county's bureau adds rows of its own county, ADDS below).
    "filingdeadlinepolicy": (ADMIN_ROLES, {"superuser"}),
    "guidedfeepolicy": (ADMIN_ROLES, {"superuser"}),
}
# Accounts and API tokens (named by the account, or by the API client the token is of): the
# superuser manages every one; the county administrator (the matrix's 鹿城 health bureau) its own
# county's: its county's bureau and street-office users, and the API client granted 鹿城 alone
# (the matrix's ``api`` client names no county, so it reaches the whole deployment: the
# superuser's). 龙湾's health bureau is no county administrator and manages none. A county
# administrator issues, rotates and revokes its clients' tokens (the add page, the list's actions);
# nobody edits, reassigns or deletes a token.
SEES_ACCOUNTS = {
    "user": {"superuser": {"civil", "wuma", "longwan"}, "health": {"civil", "wuma"}},
    "apitoken": {"superuser": {"lucheng_api", "api"}, "health": {"lucheng_api"}},
}
CHANGES_ACCOUNTS = {
    "user": SEES_ACCOUNTS["user"],
    "apitoken": {},
}
ACCOUNT_MANAGERS = {"superuser", "health"}
# Invitations to institution accounts (named by their institution): whoever may change the institution
# (the county health bureaus, the education bureau its nursery classes, the superuser) reads them,
# issues them (the add page) and re-issues or revokes them (the actions); nobody edits or deletes one.
SEES_INVITATIONS = {
    "superuser": ALL,
    "health": LUCHENG_INSTITUTIONS,
    "education": {"wuma_nursery", "qidu_nursery"},
    "longwan": LONGWAN_INSTITUTIONS,
}
INVITERS = set(SEES_INVITATIONS)
BUREAU_PAGES["invitation"] = SEES_INVITATIONS
# Filings (named by their institution; one under review for each): the review queue of the bureau each
# is routed to (the education bureau nursery classes, the county's health bureau the rest), the city
# commission reads those it sees; street offices and registration authorities have no filing pages.
# Nobody edits, adds or deletes a filing in the admin: the reviewers take its steps (REVIEWS_FILINGS).
NURSERIES = frozenset({"wuma_nursery", "qidu_nursery"})
REVIEWS_FILINGS = {
    "superuser": ALL,
    "health": LUCHENG_INSTITUTIONS - NURSERIES,
    "education": NURSERIES,
    "longwan": LONGWAN_INSTITUTIONS - {"longwan_nursery"},
}
SEES_FILINGS = {**REVIEWS_FILINGS, "city": ALL}
BUREAU_PAGES["filing"] = SEES_FILINGS
# The access log of personal data (named by the county whose records were read): the superuser
# reads every entry, one of no county too (a superuser's export across counties); a county's health
# bureau (鹿城's is its county administrator) its own county's. Nobody else reaches the page, the
# city commission included; nobody adds, changes or deletes an entry.
SEES_ACCESS_LOG = {
    "superuser": {"lucheng", "longwan", "deployment"},
    "health": {"lucheng"},
    "longwan": {"longwan"},
}
LUCHENG_STREETS, LONGWAN_STREETS = {"wuma", "qidu"}, {"zhuangyuan"}
COUNTY_ROWS = {
    role: LONGWAN_STREETS
    if role == "longwan"
    else LUCHENG_STREETS | LONGWAN_STREETS
    if role in ("superuser", "city", "institution", "api")
    else LUCHENG_STREETS
    for role in ROLES
}
# The digests of 鹿城 ("today") and of 龙湾 ("longwan_today"), by the counties each role reaches.
DIGEST_ROWS = {
    role: {"longwan_today"}
    if role == "longwan"
    else {"today", "longwan_today"}
    if role in ("superuser", "city")
    else {"today"}
    for role in ROLES
}
# Who may add a record of each kind (admin add pages, import, API create).
ADDS = {
    "institution": COUNTY_BUREAUS | {"education"},  # the education bureau: nursery classes only
    "registration": COUNTY_BUREAUS | AUTHORITIES,
    "onboarding": COUNTY_BUREAUS,  # institutions filed on paper, with their filing: not the education bureau
    "streetpopulation": COUNTY_BUREAUS,
    "workdayoverride": COUNTY_BUREAUS,
    "pushwindowpolicy": COUNTY_BUREAUS,
    "user": ACCOUNT_MANAGERS,
    "apitoken": ACCOUNT_MANAGERS,
    "invitation": COUNTY_BUREAUS | {"education"},  # the education bureau: to nursery classes only
    "filingdeadlinepolicy": COUNTY_BUREAUS,
    "guidedfeepolicy": COUNTY_BUREAUS,
}
DELETES = {"workdayoverride": COUNTY_BUREAUS}
# Plain reference data whose history page may revert it (for those who may change it).
REVERTS = {"streetpopulation", "workdayoverride"}
# Registration authorities and the bureau send registrations through the API.
API_SENDS_REGISTRATIONS = COUNTY_BUREAUS | AUTHORITIES
# Filings (备案), named by their institution, are seen as the institution is seen. The world opens a
# filing for each institution but FILING_FREE, left without one so that opening a filing for it would
# succeed if the caller were allowed. Who files (opens, fills in, uploads, submits, withdraws): the
# institution's own users (a chain's head office for its branch too) and the API client granted filing
# (``grant_filing``), for the institutions its grant reaches. The bureaus review; they never file.
FILING_FREE = "longwan_standalone"
FILES_FOR = {"institution": {"qidu_head", "wuma_branch"}, "api": {"qidu_employer", "qidu_standalone"}}


def sees(role, resource):
    """The record keys of ``resource`` that ``role`` should see, from the table above."""
    if resource == "institution":
        return set(SEES_INSTITUTIONS[role])
    if resource == "registration":
        return set(SEES_REGISTRATIONS[role])
    if resource == "storedfile":
        # An uploaded file is visible exactly as the institution it belongs to.
        return set(SEES_INSTITUTIONS[role])
    if resource == "apifiling":
        return set(SEES_INSTITUTIONS[role]) & set(RECORD_KEYS["apifiling"])
    if resource in BUREAU_PAGES:
        return set(BUREAU_PAGES[resource].get(role, NONE))
    if resource in SEES_ACCOUNTS:
        return set(SEES_ACCOUNTS[resource].get(role, NONE))
    if resource == "personaldataaccess":
        return set(SEES_ACCESS_LOG.get(role, NONE))
    if resource == "portalmessage":
        return set(SEES_PORTAL_MESSAGES.get(role, NONE))
    if resource == "portalfiling":
        return set(SEES_PORTAL_FILINGS.get(role, NONE))
    viewers, _changers = DISTRICT_RECORDS[resource]
    keys = set(RECORD_KEYS[resource]) if role in viewers else set()
    if resource == "digestrun":
        return keys & DIGEST_ROWS[role]
    return keys & COUNTY_ROWS[role] if resource in ("street", "streetpopulation") else keys


def changes(role, resource):
    if resource == "institution":
        return set(CHANGES_INSTITUTIONS.get(role, NONE))
    if resource == "apifiling":
        return set(FILES_FOR.get(role, NONE))
    if resource == "portalsignup":
        return sees(role, resource) & set(CHANGES_INSTITUTIONS.get(role, NONE))
    if resource in ("registration", "personaldataaccess") or resource in BUREAU_PAGES:
        return set()  # recorded as registered, delivered as sent, logged as read; never changed
    if resource in CHANGES_ACCOUNTS:
        return set(CHANGES_ACCOUNTS[resource].get(role, NONE))
    _viewers, changers = DISTRICT_RECORDS[resource]
    return sees(role, resource) if role in changers else set()


# The rows of each district resource in the world, by key.
RECORD_KEYS = {
    "street": ["wuma", "qidu", "zhuangyuan"],
    "streetpopulation": ["wuma", "qidu", "zhuangyuan"],
    "workdayoverride": ["typhoon"],
    "pushwindowpolicy": ["task20"],
    "pushdelivery": INSTITUTIONS,
    "inboxentry": INSTITUTIONS,
    "digestrun": ["today", "longwan_today"],
    "user": ["civil", "wuma", "longwan"],
    "apitoken": ["lucheng_api", "api"],
    "personaldataaccess": ["lucheng", "longwan", "deployment"],
    "storedfile": INSTITUTIONS,
    "portalsignup": SIGNUP_KEYS,
    "portalfiling": PORTAL_FILING_KEYS,
    # One filing each (FILING_FREE has none: the API opens one); the admin reviews them, the API
    # reads and files them (``apifiling``: the same filings, seen as their institution is).
    "filing": [key for key in INSTITUTIONS if key != FILING_FREE],
    "apifiling": [key for key in INSTITUTIONS if key != FILING_FREE],
    "filingdeadlinepolicy": ["default"],
    "guidedfeepolicy": ["default"],
}

# --- the world ------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict
    tokens: dict
    records: dict  # resource -> key -> model instance
    values: dict = field(default_factory=dict)  # (resource, key) -> identifying values

    def record(self, resource, key):
        return self.records[resource][key]


INSTITUTION_SPECS = {
    # key: (street, kind, ownership, for_profit, authority, credit-code prefix)
    "wuma_standalone": (WUMA, InstitutionKind.STANDALONE, Ownership.PRIVATE, True, Authority.MARKET_REGULATION, "9"),
    "wuma_family": (WUMA, InstitutionKind.FAMILY, Ownership.PRIVATE, True, Authority.MARKET_REGULATION, "9"),
    "qidu_employer": (QIDU, InstitutionKind.EMPLOYER, Ownership.PRIVATE, True, Authority.MARKET_REGULATION, "9"),
    "wuma_nursery": (WUMA, InstitutionKind.NURSERY_CLASS, Ownership.PUBLIC, False, Authority.ESTABLISHMENT_OFFICE, "1"),
    "qidu_nursery": (QIDU, InstitutionKind.NURSERY_CLASS, Ownership.PUBLIC, False, Authority.ESTABLISHMENT_OFFICE, "1"),
    "qidu_head": (QIDU, InstitutionKind.COMMUNITY, Ownership.PRIVATE, False, Authority.CIVIL_AFFAIRS, "5"),
    "wuma_branch": (WUMA, InstitutionKind.COMMUNITY, Ownership.PRIVATE, False, Authority.CIVIL_AFFAIRS, "5"),
    "qidu_standalone": (QIDU, InstitutionKind.STANDALONE, Ownership.PRIVATE, False, Authority.CIVIL_AFFAIRS, "5"),
    "longwan_standalone": (
        ZHUANGYUAN,
        InstitutionKind.STANDALONE,
        Ownership.PRIVATE,
        True,
        Authority.MARKET_REGULATION,
        "9",
    ),
    "longwan_nursery": (
        ZHUANGYUAN,
        InstitutionKind.NURSERY_CLASS,
        Ownership.PUBLIC,
        False,
        Authority.ESTABLISHMENT_OFFICE,
        "1",
    ),
}
USER_SPECS = {
    "superuser": {"role": "", "is_superuser": True},
    "health": {"role": Role.HEALTH_BUREAU, "county_administrator": True},  # 鹿城's county administrator
    "education": {"role": Role.EDUCATION_BUREAU},
    "market": {"role": Role.REGISTRATION_AUTHORITY, "authority": Authority.MARKET_REGULATION},
    "civil": {"role": Role.REGISTRATION_AUTHORITY, "authority": Authority.CIVIL_AFFAIRS},
    "establishment": {"role": Role.REGISTRATION_AUTHORITY, "authority": Authority.ESTABLISHMENT_OFFICE},
    "wuma": {"role": Role.STREET_OFFICE},
    "institution": {"role": Role.INSTITUTION, "is_staff": False},
    "api": {"role": Role.API_CLIENT, "is_staff": False, "grant_filing": True},
    "longwan": {"role": Role.HEALTH_BUREAU, "county": LONGWAN},
    "city": {"role": Role.CITY_HEALTH_COMMISSION, "city_code": WENZHOU},
}
COUNTY_ROLE_KEYS = {"health", "education", "market", "civil", "establishment"}  # Lucheng's


def build_world():
    county_streets_load(code=LONGWAN)
    counties = {county.code: county for county in County.objects.all()}
    users = {}
    for index, (key, spec) in enumerate(USER_SPECS.items()):
        user = User(
            username=f"matrix-{key}",
            email=f"matrix-{key}-{index}@users.test",
            first_name=f"矩阵{key}",
            is_staff=spec.get("is_staff", True),
            is_superuser=spec.get("is_superuser", False),
            role=spec["role"],
            authority=spec.get("authority", ""),
            city_code=spec.get("city_code", ""),
            county_administrator=spec.get("county_administrator", False),
            grant_filing=spec.get("grant_filing", False),
        )
        if key in COUNTY_ROLE_KEYS or "county" in spec:
            user.county = counties[spec.get("county", LUCHENG)]
        if key == "wuma":
            user.street = street(WUMA)
        user.set_password("pw-Lucheng-2026")
        users[key] = user
    institutions = {}
    for number, (key, (code, kind, ownership, for_profit, authority, prefix)) in enumerate(
        INSTITUTION_SPECS.items(), start=1
    ):
        institutions[key] = InstitutionFactory(
            name=f"矩阵{key}托育园",
            credit_code=make_credit_code(770_000 + number, first=prefix),
            kind=kind,
            ownership=ownership,
            for_profit=for_profit,
            registration_authority=authority,
            street=street(code),
            legal_representative=f"代表{number}号{key}",
            head_office=None,
        )
    institutions["wuma_branch"].head_office = institutions["qidu_head"]
    institutions["wuma_branch"].save()
    for key, user in users.items():
        if key == "institution":
            user.institution = institutions["qidu_head"]
        user.full_clean()
        user.save()
    users["api"].scope_streets.set([street(QIDU)])
    users["api"].scope_kinds = [InstitutionKind.STANDALONE, InstitutionKind.EMPLOYER]
    users["api"].save()
    tokens = {key: api_token(user, name=f"矩阵系统-{key}") for key, user in users.items()}
    # An API client granted 鹿城 alone (no role of the matrix): the county administrator's to manage.
    lucheng_api = User(username="matrix-lucheng-api", email="matrix-lucheng-api@users.test", role=Role.API_CLIENT)
    lucheng_api.set_password("pw-Lucheng-2026")
    lucheng_api.full_clean()
    lucheng_api.save()
    lucheng_api.scope_counties.set([counties[LUCHENG]])
    lucheng_api_token = api_token(lucheng_api, name="鹿城数据中心")

    by_authority = {
        Authority.MARKET_REGULATION: users["market"],
        Authority.CIVIL_AFFAIRS: users["civil"],
        Authority.ESTABLISHMENT_OFFICE: users["establishment"],
    }
    registrations = {}
    for number, (key, institution) in enumerate(institutions.items(), start=1):
        # 龙湾's registrations are recorded by 龙湾's health bureau (its authorities have no users here).
        actor = users["longwan"] if key in LONGWAN_INSTITUTIONS else by_authority[institution.registration_authority]
        registrations[key], _created = registration_record(
            actor=actor,
            source=RegistrationSource.API,
            authority=institution.registration_authority,
            registration_number=f"矩阵登记-{number:03d}",
            registered_on=datetime.date.today() - datetime.timedelta(days=number),
            kind="new",
            credit_code=institution.credit_code,
            institution_name=institution.name,
            street_code=institution.street.code,
            address=institution.address,
            legal_representative=institution.legal_representative,
        )
    now = datetime.datetime.now(datetime.UTC)
    PushDelivery.objects.filter(channel=Channel.INBOX).update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    deliveries = {
        key: registration_deliveries(registration).get(channel=Channel.INBOX)
        for key, registration in registrations.items()
    }
    # With no e-mail or SMS configured, a notice to each institution waits in its portal inbox.
    # An invitation to each institution (its link printed, not sent): the bureaus' to read and manage.
    invitations = {}
    for key, institution in institutions.items():
        issued = invitation_issue(
            actor=users["superuser"],
            institution=institution,
            name=f"矩阵受邀人{key}",
            phone="13800000000",
            administrator=True,
            send=False,
        )
        invitations[key] = (issued.record, issued.token)
    portal_messages = {}
    for key, institution in institutions.items():
        [portal_messages[key]] = person_notice_enqueue(
            topic="matrix.notice",
            subject=institution,
            title=f"矩阵门户消息-{key}",
            text=f"矩阵门户正文-{key}",
            email=f"matrix-{key}@institutions.test",
            phone="13905770000",
        )
    populations = {}
    for key, code in (("wuma", WUMA), ("qidu", QIDU), ("zhuangyuan", ZHUANGYUAN)):
        population = StreetPopulation(street=street(code), year=2023, population=90_000, source="鹿城统计年鉴")
        population.save()
        population.population = 91_000
        population.save()  # a second history row, so a version differs from the record
        populations[key] = population
    override = WorkdayOverride(date=datetime.date(2026, 9, 15), is_working_day=False, reason="台风停工")
    override.save()
    override.reason = "台风停工（全区）"
    override.save()
    digest = DigestRun.objects.create(
        date=datetime.date.today(),
        county=County.objects.get(code="330302"),
        registration_ids=[r.pk for r in registrations.values() if r.institution.street.county.code == "330302"],
    )
    longwan_digest = DigestRun.objects.create(
        date=datetime.date.today(),
        county=County.objects.get(code="330303"),
        registration_ids=[r.pk for r in registrations.values() if r.institution.street.county.code == "330303"],
    )
    access_log = {
        key: PersonalDataAccess.objects.create(
            user=users["superuser"],
            username="matrix-superuser",
            role="superuser",
            county=counties[code] if code else None,
            face=Face.EXPORT,
            action=AccessAction.EXPORT,
            record_type="registry.institution",
            record_labels=[f"矩阵访问记录-{key}"],
            label_index=f"矩阵访问记录-{key}",
            row_count=2,
            query={"q": f"矩阵筛选-{key}"},
            path="/admin/registry/institution/export/",
        )
        for key, code in (("lucheng", LUCHENG), ("longwan", LONGWAN), ("deployment", None))
    }
    # One uploaded document per institution (its licence), with a name and content of its own.
    files = {
        key: stored_file_save(
            actor=users["superuser"],
            subject=institution,
            purpose="registry.business_licence",
            upload=upload(f"矩阵营业执照-{key}.pdf", pdf_bytes(f"MATRIX-FILE-{key}")),
        )
        for key, institution in institutions.items()
    }
    # The portal's filings: submitted by each institution through the services (五马's by a filer of its
    # own, outside the matrix's roles) and returned by the health bureau, so each has a returned
    # section with the reviewer's comment and its notice (an issued document about the filing).
    portal_filings, filing_notices = {}, {}
    for key in PORTAL_FILING_KEYS:
        filer = users["institution"] if key == "qidu_head" else institution_user(institutions[key])
        filing = submitted_filing(institutions[key], filer)
        filing_services.filing_review_start(filing=filing, actor=users["health"])
        portal_filings[key] = filing_services.filing_return(
            filing=filing, actor=users["health"], comments={"premises": f"矩阵退回意见-{key}"}
        )
        filing_notices[key] = document_latest(subject=filing, kind="registry.filing_return_notice")
        if filer != users["institution"]:  # no account of its own afterwards: its sign-up below is the probes'
            filer.is_active = False
            filer.save(update_fields=["is_active"])
    # A sign-up of each institution without an account, through the portal's service (no SMS channel:
    # each waits for the bureau).
    signups = {
        key: portal_signup_request(
            credit_code=institutions[key].credit_code,
            registration_number=registrations[key].registration_number,
            phone=institutions[key].contact_phone,
            username=f"matrix-signup-{key}",
            password="pw-Lucheng-2026",
        ).signup
        for key in SIGNUP_KEYS
    }
    # A filing of each institution, under review (set up by a plain UPDATE: the probes need it there,
    # not the journey to it), with one document issued about it. The portal's returned filings above
    # are their institutions' (one open filing an institution): the review probes put each where
    # their step starts (``ready_for``) and back.
    deadline_rule = FilingDeadlinePolicy.objects.get(county__isnull=True)
    deadline_rule.note = f"{deadline_rule.note}（矩阵）"
    deadline_rule.save()  # a history row, for the history pages
    guided_fees = GuidedFeePolicy(
        effective_from=datetime.date(2024, 1, 1),
        full_day_min=1500,
        full_day_max=2800,
        half_day_min=800,
        half_day_max=1600,
        legal_source="矩阵普惠托育指导价",
    )
    guided_fees.save()
    filings, filing_documents = {}, {}
    today = datetime.date.today()
    for key, institution in institutions.items():
        if key == FILING_FREE:
            continue
        if key in portal_filings:
            filing = filings[key] = portal_filings[key]
        else:
            filing = filing_open(institution=institution, actor=None)
        Filing.objects.filter(pk=filing.pk).exclude(status="returned").update(
            status="under_review",
            submitted_at=now,
            clock_started_on=today,
            receipt_deadline=today + datetime.timedelta(days=7),
            notice_deadline=today + datetime.timedelta(days=21),
            deadline_rule=deadline_rule,
        )
        filings[key] = Filing.objects.get(pk=filing.pk)
        filing_documents[key] = document_issue(
            actor=users["superuser"],
            kind=FILING_RECEIPT,
            county=institution.street.county,
            subject=filing,
            document=Document(title="矩阵备案回执").paragraph(f"矩阵备案文书-{key}"),
            number=f"矩阵备案-{key}",
            institution=institution.name,
        )
    records = {
        "filing": filings,
        "filingdeadlinepolicy": {"default": deadline_rule},
        "guidedfeepolicy": {"default": guided_fees},
        "institution": institutions,
        "apifiling": filings,
        "filingdocument": filing_documents,
        "storedfile": files,
        "registration": registrations,
        "pushdelivery": deliveries,
        # The inbox is the registry's: an entry is the registration whose inbox delivery arrived.
        "inboxentry": {key: InboxEntry.objects.get(pk=r.pk) for key, r in registrations.items()},
        "street": {"wuma": street(WUMA), "qidu": street(QIDU), "zhuangyuan": street(ZHUANGYUAN)},
        "streetpopulation": populations,
        "workdayoverride": {"typhoon": override},
        # The seeded rule (温鹿政办〔2020〕64号 任务20), which counted every registration above.
        "pushwindowpolicy": {"task20": PushWindowPolicy.objects.get(effective_from=datetime.date(2021, 2, 1))},
        "digestrun": {"today": digest, "longwan_today": longwan_digest},
        "user": {"civil": users["civil"], "wuma": users["wuma"], "longwan": users["longwan"]},
        "apitoken": {
            "lucheng_api": ApiToken.objects.get(user=lucheng_api),
            "api": ApiToken.objects.get(user=users["api"]),
        },
        "personaldataaccess": access_log,
        "portalsignup": signups,
        "portalmessage": portal_messages,
        "invitation": {key: record for key, (record, _token) in invitations.items()},
        "portalfiling": portal_filings,
        "portalfilingnotice": filing_notices,
    }
    world = World(users=users, tokens=tokens, records=records)
    world.filing_documents = filing_documents
    for key, institution in institutions.items():
        world.values[("institution", key)] = [
            institution.name,
            institution.credit_code,
            institution.legal_representative,
        ]
    for key, registration in registrations.items():
        world.values[("registration", key)] = [registration.registration_number, *world.values[("institution", key)]]
        if key in filings:
            world.values[("filing", key)] = [*world.values[("institution", key)], f"矩阵备案-{key}"]
        world.values[("pushdelivery", key)] = world.values[("registration", key)]
        world.values[("inboxentry", key)] = world.values[("registration", key)]
    world.values[("user", "civil")] = [users["civil"].email]
    world.values[("user", "wuma")] = [users["wuma"].email]
    world.values[("user", "longwan")] = [users["longwan"].email]
    # A token's key and its hash are on no page, in scope or not (the names are the clients').
    world.values[("apitoken", "lucheng_api")] = [lucheng_api_token, api_token_hash(lucheng_api_token)]
    world.values[("apitoken", "api")] = [tokens["api"], api_token_hash(tokens["api"])]
    for key in access_log:
        world.values[("personaldataaccess", key)] = [f"矩阵访问记录-{key}", f"矩阵筛选-{key}"]
    for key in signups:
        world.values[("portalsignup", key)] = [f"matrix-signup-{key}", *world.values[("registration", key)]]
    for key in portal_messages:
        world.values[("portalmessage", key)] = [f"矩阵门户消息-{key}", f"矩阵门户正文-{key}"]
    for key, (record, token) in invitations.items():
        world.values[("invitation", key)] = [record.name, token, record.token_hash]
    for key in filings:
        world.values[("apifiling", key)] = world.values[("filing", key)]
    for key, stored in files.items():
        world.values[("storedfile", key)] = [stored.original_name, f"MATRIX-FILE-{key}", str(stored.public_id)]
    for key in portal_filings:
        world.values[("portalfiling", key)] = [f"矩阵退回意见-{key}", institutions[key].name]
    return world


# --- the URLconf, enumerated ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern text, for messages
    name: str | None
    callback: object
    has_format: bool


def url_patterns():
    """Every URL pattern of the project, with its namespaced name."""

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
                has_format = "format" in pattern.pattern.regex.groupindex
                yield Route(prefix + str(pattern.pattern), name, pattern.callback, has_format)

    return list(walk(get_resolver().url_patterns, "", None))


ADMIN_SUFFIXES = ("changelist", "add", "change", "delete", "history", "simple_history")
# Custom admin views, each classified by hand: (kind, resource).
CUSTOM_ADMIN = {
    "admin:registry_institution_export": ("export", "institution"),
    "admin:registry_registration_import": ("import", "registration"),
    # The onboarding import of institutions filed on paper: a county's health bureau only.
    "admin:registry_institution_import": ("import", "onboarding"),
    "admin:registry_institution_template": ("add_page", "onboarding"),
    "admin:registry_registration_template": ("add_page", "registration"),
    "admin:registry_registration_sla": ("report", "registration"),
    "admin:auth_user_password_change": ("user_password", "user"),
    # A registration's receipt (PDF): whoever sees the registration in the admin.
    "admin:registry_registration_receipt": ("receipt", "registration"),
    # A review step of a filing (its page, then the service): the bureau it is routed to, nobody else.
    "admin:registry_filing_review": ("filing_step", "filing"),
    # A document issued about a filing (PDF): whoever has the filing in the admin.
    "admin:registry_filing_document": ("filing_document", "filing"),
}
ADMIN_SITE = {
    "admin:index": "admin_page",
    "admin:password_change_done": "admin_page",
    "admin:jsi18n": "admin_page",
    "admin:app_list": "app_list",
    "admin:login": "login",
    "admin:logout": "logout",
    "admin:password_change": "password_change",
    "admin:autocomplete": "autocomplete",
    "admin:view_on_site": "view_on_site",
}
# The two-factor page: whoever works in the admin (enrol, verify, new recovery codes); others refused.
TWO_FACTOR = "two_factor"
PUBLIC = {"home": "public", "healthz": "public", "schema": "public", "api-docs": "public", "set_language": "setlang"}
# The public verification of documents: anyone, with only a document's public summary.
VERIFY = {"documents:verify-form": "verify_form", "documents:verify": "verify_code"}
# The institution portal (/portal/): its shell's pages, then each app's portal pages. A portal page
# is an institution's own: 200 for the institution user, refused (404, or the sign-in) for every
# other role, and it never shows another institution's values.
PORTAL = {"portal:login": "portal_login", "portal:logout": "portal_logout"}
PORTAL_PAGES = {"portal:home", "portal:inbox"}
# A portal page of one record, by its id: (the resource its id names). 200 for the institution user
# on a record it sees; refused for another institution's record, and for every other role.
PORTAL_OBJECTS = {"portal:inbox-message": "portalmessage"}
PORTAL_PAGES |= {"registry_portal:documents"}
# The filings (备案): the list (POST opens one) is a portal page; one filing's overview a portal object;
# its steps, sections, materials and documents are probed by ``probe_portal_filing`` (kind: what it is).
PORTAL_PAGES |= {"registry_portal:filings"}
PORTAL_OBJECTS |= {"registry_portal:filing": "portalfiling"}
PORTAL_FILING = {
    "registry_portal:filing-submit": "submit",
    "registry_portal:filing-withdraw": "withdraw",
    "registry_portal:filing-section": "section",
    "registry_portal:filing-material": "material",
    "registry_portal:filing-document": "document",
}
# Downloads of uploaded files (GET by public id): whoever sees the file's subject gets it, anyone
# else a 404 (anonymous: a sign-in page), for a real id and a guessed one alike.
FILE_DOWNLOAD = "files:download"
# The institution's self-service sign-up (public: anyone may open it; probed by ``probe_signup``).
PORTAL_SIGNUP = {
    "registry_portal:signup": "portal_signup",
    "registry_portal:signup-confirm": "portal_signup_confirm",
    "registry_portal:signup-pending": "portal_signup_pending",
}
API_ACTIONS = {
    "api:registration-sla": ("report", "registration"),
    # The institution lifecycle steps (POST, detail): the data owners of the record only.
    "api:institution-mark-filed": ("api_lifecycle", "institution"),
    "api:institution-mark-operating": ("api_lifecycle", "institution"),
    "api:institution-suspend": ("api_lifecycle", "institution"),
    "api:institution-resume": ("api_lifecycle", "institution"),
    "api:institution-close": ("api_lifecycle", "institution"),
}
# The portal's account pages (luchen_care.accounts): my account and the colleagues list are portal
# pages (above). The one-time link pages open for anyone; a forged token posted to them is refused
# (4xx) and changes nothing, for every role. Asking for a reset answers every role alike and changes
# nothing for a username and contact that do not match. The colleague pages are an institution's
# administrator's (the net's institution user is a colleague): refused for every role, nothing changes.
PORTAL_PAGES |= {"accounts_portal:account", "accounts_portal:colleagues"}
PORTAL_LINKS = {"accounts_portal:invitation", "accounts_portal:password_reset_confirm"}
PORTAL_RESET_REQUEST = "accounts_portal:password_reset"
PORTAL_ADMINISTRATOR_PAGES = {"accounts_portal:colleague_invite"}
PORTAL_ADMINISTRATOR_ACTIONS = {
    "accounts_portal:colleague_remove": "user",
    "accounts_portal:colleague_administrator": "user",
    "accounts_portal:invitation_revoke": "invitation",
    "accounts_portal:invitation_reissue": "invitation",
}
# The body of a lifecycle step that would be taken if the caller were allowed (the world's
# institutions operate: suspend and close would go through).
LIFECYCLE_STEP = {"effective_on": datetime.date.today().isoformat(), "document_reference": "矩阵文号", "reason": "矩阵"}

# Admin changelist actions: every action the superuser is offered (``get_actions``), by admin, with
# who may run it on a record they see (``"changes"``: whoever the table lets change that record),
# the mark of its confirmation page (``None``: it runs at once), and what its confirmation page
# posts to run it. A forbidden role posts that body; an allowed one stops at the confirmation page.
LIFECYCLE_APPLY = {"apply": "1", **LIFECYCLE_STEP}
ADMIN_ACTIONS = {
    "institution": {
        "mark_filed": ("changes", 'id="lifecycle-step-form"', LIFECYCLE_APPLY),
        "mark_operating": ("changes", 'id="lifecycle-step-form"', LIFECYCLE_APPLY),
        "suspend": ("changes", 'id="lifecycle-step-form"', LIFECYCLE_APPLY),
        "resume": ("changes", 'id="lifecycle-step-form"', LIFECYCLE_APPLY),
        "close": ("changes", 'id="lifecycle-step-form"', LIFECYCLE_APPLY),
    },
    "workdayoverride": {"delete_selected": (COUNTY_BUREAUS, 'name="post"', {"post": "yes"})},
    # Re-queues failed deliveries at once; the world's are delivered, so an allowed run changes nothing.
    "pushdelivery": {"requeue": (COUNTY_BUREAUS, None, {})},
    # Forgets the selected accounts' failed sign-ins; the world has none, so an allowed run changes nothing.
    "user": {"unlock": (ACCOUNT_MANAGERS, None, {})},
    # Each asks first; the confirmation page posts ``apply`` (the new key is shown on the next page).
    # Each asks for a comment first (required to reject); its confirmation page posts ``apply``.
    "portalsignup": {
        "activate": ("changes", 'id="signup-decision-form"', {"apply": "1", "comment": "矩阵核实"}),
        "reject": ("changes", 'id="signup-decision-form"', {"apply": "1", "comment": "矩阵驳回"}),
    },
    "apitoken": {
        "rotate": (ACCOUNT_MANAGERS, 'id="api-token-rotate-form"', {"apply": "1"}),
        "revoke": (ACCOUNT_MANAGERS, 'id="api-token-revoke-form"', {"apply": "1"}),
    },
}
ADMIN_ACTIONS["invitation"] = {
    "reissue": (INVITERS, 'id="invitation-reissue-form"', {"apply": "1"}),
    "revoke": (INVITERS, 'id="invitation-revoke-form"', {"apply": "1"}),
}
# Starts a password reset of institution accounts only: the world's managed accounts are staff, so an
# allowed run is refused by the service and changes nothing.
ADMIN_ACTIONS["user"]["start_password_reset"] = (ACCOUNT_MANAGERS, None, {})
# Forgets the selected accounts' authenticators (never the actor's own); an allowed run changes no
# counted row. Run last on the page: it is the one action that could end a prober's second factor.
ADMIN_ACTIONS["user"]["reset_two_factor"] = (ACCOUNT_MANAGERS, None, {})
# Filings through the API (``registry.api.filings``): the list (GET; POST opens a filing), a filing
# (GET), a section (PUT), its materials (POST, multipart), submit and withdraw (POST), and a document's
# PDF (GET), each by the filing's id: probed by ``probe_api_filing``.
API_FILINGS = {
    "api:filing-list": "list",
    "api:filing-detail": "detail",
    "api:filing-section": "section",
    "api:filing-section-materials": "materials",
    "api:filing-submit": "submit",
    "api:filing-withdraw": "withdraw",
    "api:filing-document": "document",
}
API_TOKEN = "api:token"
# Rotating the token a request presents (POST, by the token only; the password exchange's DELETE
# revokes it): probed with a token issued for the probe, so the world's keep working.
API_TOKEN_ROTATE = "api:token-rotate"
API_ROOT = "api:api-root"
# The shared import's job page and its JSON status: a job is seen by the user who started it
# and by superusers; anyone else gets 404 (anonymous: the login page, or 401 from the JSON).
IMPORT_JOB_ROUTES = {"import-job", "import-job-status"}
IMPORT_JOB_OWNERS = ("market", "civil")


def admin_model_of(route_name):
    """(resource, suffix) for an admin URL of a registered model, else ``None``."""
    if not route_name or not route_name.startswith("admin:"):
        return None
    for model in admin_site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if route_name.startswith(prefix) and route_name[len(prefix) :] in ADMIN_SUFFIXES:
            return model._meta.model_name, route_name[len(prefix) :]
    return None


def classify(route):
    """What a URL is, for the probes: ``(kind, resource)``; ``None`` when it is not known."""
    name = route.name
    if name in CUSTOM_ADMIN:
        return CUSTOM_ADMIN[name]
    model = admin_model_of(name)
    if model:
        resource, suffix = model
        return f"admin_{suffix}", resource
    if name in ADMIN_SITE:
        return ADMIN_SITE[name], None
    if name is None and route.pattern.startswith("admin/"):
        if route.pattern == "admin/(?P<url>.*)$":
            return "admin_catch_all", None
        for model in admin_site._registry:
            if route.pattern == f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/":
                return "admin_object_redirect", model._meta.model_name
        return None
    if name in PUBLIC:
        return PUBLIC[name], None
    if name in VERIFY:
        return VERIFY[name], None
    if name in PORTAL:
        return PORTAL[name], None
    if name in PORTAL_SIGNUP:
        return PORTAL_SIGNUP[name], None
    if name in PORTAL_PAGES:
        return "portal_page", None
    if name in PORTAL_OBJECTS:
        return "portal_object", PORTAL_OBJECTS[name]
    if name in PORTAL_FILING:
        return "portal_filing", PORTAL_FILING[name]
    if name in PORTAL_LINKS:
        return "portal_link", None
    if name == PORTAL_RESET_REQUEST:
        return "portal_reset_request", None
    if name in PORTAL_ADMINISTRATOR_PAGES:
        return "portal_administrator_page", None
    if name in PORTAL_ADMINISTRATOR_ACTIONS:
        return "portal_administrator_action", PORTAL_ADMINISTRATOR_ACTIONS[name]
    if name == FILE_DOWNLOAD:
        return "file_download", "storedfile"
    if name == TWO_FACTOR:
        return "two_factor", None
    if name in IMPORT_JOB_ROUTES:
        return "import_job", None
    if name == API_TOKEN:
        return "api_token", None
    if name == API_TOKEN_ROTATE:
        return "api_token_rotate", None
    if name == API_ROOT:
        return "api_root", None
    if name in API_ACTIONS:
        return API_ACTIONS[name]
    if name in API_FILINGS:
        return f"api_filing_{API_FILINGS[name]}", "apifiling"
    if name and name.startswith("api:"):
        view = getattr(route.callback, "cls", None)
        model = getattr(getattr(getattr(view, "serializer_class", None), "Meta", None), "model", None)
        resource = {Institution: "institution", Registration: "registration", Street: "api_street"}.get(model)
        if resource and name.endswith("-list"):
            return "api_list", resource
        if resource and name.endswith("-detail"):
            return "api_detail", resource
    return None


# --- probing ---------------------------------------------------------------------------------------

REFUSED = {401, 403, 404, 405}
FIGURES = {"requests": 0, "leaks": 0, "forbidden_writes": 0, "server_errors": 0}


def body_text(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an Excel workbook: its text lives in the zipped XML
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return " ".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    text = content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        try:  # JSON may escape non-ASCII (\u77e9…): compare the values, not their spelling
            text = json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def leaked(text, values):
    return [v for v in values if v and (v in text or html.escape(v) in text)]


def snapshot(world, resource=None, key=None):
    """What a forbidden write must leave as it was: the counts, and the target row with its history."""
    state = {
        "counts": tuple(
            m.objects.count()
            for m in (
                Invitation,
                PasswordReset,
                Institution,
                Registration,
                PushDelivery,
                StreetPopulation,
                WorkdayOverride,
                PushWindowPolicy,
                User,
                ApiToken,
                StoredFile,
                PortalSignup,
                Filing,
                FilingSection,
                FilingTransition,
                FilingDeadlinePolicy,
                GuidedFeePolicy,
                IssuedDocument,
            )
        ),
        "institutions": list(Institution.objects.order_by("pk").values()),
        "filings": list(Filing.objects.order_by("pk").values()),
        "sections": list(FilingSection.objects.order_by("pk").values()),
        "registrations": list(Registration.objects.order_by("pk").values()),
    }
    if resource and key:
        record = world.record(resource, key)
        model = type(record)
        state["row"] = list(model._base_manager.filter(pk=record.pk).values())
        if hasattr(model, "history"):
            state["history"] = model.history.filter(id=record.pk).count()
        if resource == "user":
            state["password"] = User.objects.get(pk=record.pk).password
    return state


class Prober:
    def __init__(self, world, role):
        self.world = world
        self.role = role
        self.failures = []
        # A view that raises is answered as the server would answer it (a 500), and counted.
        self.client = Client(raise_request_exception=False)
        self.api = Client(raise_request_exception=False)
        if role != "anonymous":
            # The production sign-in: the admin's login form, and a real authenticator code for the
            # roles REQUIRE_2FA (on for the net) asks one of.
            if works_in_admin(world.users[role]):
                sign_in(self.client, world.users[role], "pw-Lucheng-2026")
            else:
                self.client.force_login(world.users[role])  # no admin sign-in: it has no second factor either
            self.api.defaults["HTTP_AUTHORIZATION"] = f"Token {world.tokens[role]}"

    # -- one request -------------------------------------------------------------------------------
    def send(self, method, url, *, api=False, data=None, json=False):
        cache.clear()  # throttling counters: the probes are many, their budget is not what is tested
        client = self.api if api else self.client
        kwargs = {}
        if data is not None:
            if json:
                kwargs = {"data": data, "content_type": "application/json"}
            else:
                kwargs = {"data": data}
        response = getattr(client, method.lower())(url, **kwargs)
        FIGURES["requests"] += 1
        if response.status_code >= 500:
            FIGURES["server_errors"] += 1
            self.fail(method, url, f"server error {response.status_code}")
        return response

    def fail(self, method, url, message):
        self.failures.append(f"{self.role:13} {method:6} {url}: {message}")

    def login_redirect(self, response):
        return response.status_code == 302 and response["Location"].startswith(("/admin/login/", "/portal/login/"))

    # -- checks --------------------------------------------------------------------------------------
    def check_read(self, url, *, expect_ok, values_absent=(), values_present=(), api=False, refusals=REFUSED):
        response = self.send("GET", url, api=api)
        status = response.status_code
        if expect_ok and status != 200:
            self.fail("GET", url, f"expected 200, got {status}")
        if not expect_ok and not (status in refusals or self.login_redirect(response)):
            self.fail("GET", url, f"expected a refusal (403/404), got {status}")
        text = body_text(response) if status < 500 else ""
        found = leaked(text, values_absent)
        if found:
            FIGURES["leaks"] += 1
            self.fail("GET", url, f"leaks {found}")
        if expect_ok and status == 200:
            missing = [v for v in values_present if not leaked(text, [v])]
            if missing:
                self.fail("GET", url, f"does not show in-scope {missing}")
        return response

    def check_write(self, method, url, *, allowed, data, target=(None, None), api=False, json=False, values=()):
        """A forbidden write is refused and changes nothing; an allowed one is sent invalid (not a 500)."""
        before = snapshot(self.world, *target)
        response = self.send(method, url, api=api, data=data, json=json)
        status = response.status_code
        after = snapshot(self.world, *target)
        if not allowed:
            if not (status in REFUSED or self.login_redirect(response)):
                self.fail(method, url, f"a forbidden write answered {status}")
            if after != before:
                FIGURES["forbidden_writes"] += 1
                self.fail(method, url, "a forbidden write changed the database")
        elif after != before:
            self.fail(method, url, "an invalid write changed the database")
        found = leaked(body_text(response), values) if status < 500 else []
        if found:
            FIGURES["leaks"] += 1
            self.fail(method, url, f"leaks {found}")

    # -- samples ---------------------------------------------------------------------------------------
    def samples(self, resource):
        """One in-scope and one out-of-scope record key (either may be ``None``)."""
        keys = RECORD_KEYS.get(resource, INSTITUTIONS)
        seen = sees(self.role, resource)
        inside = next((k for k in keys if k in seen), None)
        outside = next((k for k in keys if k not in seen), None)
        return [(k, side) for k, side in ((inside, "in"), (outside, "out")) if k is not None]

    def values(self, resource, key):
        return self.world.values.get((resource, key), [])

    def out_of_scope_values(self, resource):
        seen = sees(self.role, resource)
        keys = RECORD_KEYS.get(resource, INSTITUTIONS)
        return [v for k in keys if k not in seen for v in self.values(resource, k)]

    def in_scope_names(self, resource):
        seen = sees(self.role, resource)
        if resource in ("institution", "registration", "apifiling", *BUREAU_PAGES):
            keys = RECORD_KEYS.get(resource, INSTITUTIONS)
            return [self.world.record("institution", k).name for k in keys if k in seen]
        if resource == "personaldataaccess":
            return [f"矩阵访问记录-{k}" for k in RECORD_KEYS[resource] if k in seen]
        return []


def admin_form_data(model_admin, obj, *, change_text=True):
    """The body an allowed user would post on ``obj``'s change (or revert) form, one text field changed."""
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    form_class = model_admin.get_form(request, obj, change=True)
    data = {}
    for name, value in model_to_dict(obj, fields=list(form_class.base_fields)).items():
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = getattr(value, "pk", value)
    if change_text:
        for name, form_field in form_class.base_fields.items():
            plain_text = type(form_field).__name__ == "CharField" and not getattr(form_field, "choices", None)
            if plain_text and name in data:
                data[name] = f"{data[name]}（篡改）"
                break
    for inline in model_admin.get_inline_instances(request, obj):
        prefix = inline.get_formset(request, obj).get_default_prefix()
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data


def model_admin_for(resource):
    for model, model_admin in admin_site._registry.items():
        if model._meta.model_name == resource:
            return model_admin
    raise LookupError(resource)


def probe_admin_model(p, kind, resource, route):
    name = route.name
    admin_role = p.role in ADMIN_ROLES
    suffix = kind.removeprefix("admin_")
    model_admin = model_admin_for(resource)
    if suffix in ("changelist", "add"):
        url = reverse(name)
        if suffix == "changelist":
            scoped = resource in ("institution", "registration")
            if resource in BUREAU_PAGES:
                viewer = admin_role and p.role in BUREAU_PAGES[resource]
            elif resource in SEES_ACCOUNTS:
                viewer = admin_role and p.role in SEES_ACCOUNTS[resource]
            elif resource == "personaldataaccess":
                viewer = admin_role and p.role in SEES_ACCESS_LOG
            else:
                viewer = admin_role and (scoped or p.role in DISTRICT_RECORDS[resource][0])
            p.check_read(
                url,
                expect_ok=viewer,
                values_absent=p.out_of_scope_values(resource),
                values_present=p.in_scope_names(resource) if viewer else (),
            )
            probe_admin_actions(p, resource, model_admin, url)
        else:
            adder = admin_role and p.role in ADDS.get(resource, set())
            p.check_read(url, expect_ok=adder, values_absent=p.out_of_scope_values(resource))
            p.check_write("POST", url, allowed=adder, data={} if adder else add_data(p.world, resource))
        return
    for key, side in p.samples(resource):
        record = p.world.record(resource, key)
        seen = side == "in" and admin_role
        may_change = seen and key in changes(p.role, resource)
        absent = p.values(resource, key) if not seen else []
        target = (resource, key)
        if suffix == "simple_history":
            version = type(record).history.filter(id=record.pk).order_by("history_id").first()
            url = reverse(name, args=[record.pk, version.history_id])
            p.check_read(url, expect_ok=seen, values_absent=absent)
            allowed = may_change and resource in REVERTS
            data = admin_form_data(model_admin, version.instance) if not allowed else {}
            p.check_write("POST", url, allowed=allowed, data=data, target=target, values=absent)
        elif suffix == "change":
            url = reverse(name, args=[record.pk])
            p.check_read(url, expect_ok=seen, values_absent=absent)
            data = admin_form_data(model_admin, record) if not may_change else {}
            p.check_write("POST", url, allowed=may_change, data=data, target=target, values=absent)
        elif suffix == "history":
            url = reverse(name, args=[record.pk])
            p.check_read(url, expect_ok=seen, values_absent=absent)
        elif suffix == "delete":
            url = reverse(name, args=[record.pk])
            deleter = seen and p.role in DELETES.get(resource, set())
            p.check_read(url, expect_ok=deleter, values_absent=absent)
            p.check_write(
                "POST", url, allowed=deleter, data={} if deleter else {"post": "yes"}, target=target, values=absent
            )


# The state from which each step would succeed, so that a forbidden probe is refused by the
# permission check and not merely by the record's state (a suspended institution cannot be filed).
STEP_SOURCE = {
    "mark_filed": {"status": "registered", "registered_on": datetime.date(2024, 1, 2)},
    "mark_operating": {"status": "filed", "filed_on": datetime.date(2024, 1, 2)},
    "suspend": {"status": "operating", "operating_since": datetime.date(2024, 1, 2)},
    "resume": {"status": "suspended", "suspended_on": datetime.date(2024, 1, 2)},
    "close": {"status": "operating", "operating_since": datetime.date(2024, 1, 2)},
    "requeue": {"status": DeliveryStatus.FAILED},
    # The world's filings are under review: each review step's source.
    "filing.start_review": {"status": "submitted"},
    "filing.site_check": {"status": "under_review", "site_check_required": True},
    "filing.return": {"status": "under_review"},
    "filing.approve": {"status": "under_review"},
    "filing.reject": {"status": "under_review"},
}


class ready_for(contextlib.AbstractContextManager):
    """Put ``record`` (test set-up, by a plain UPDATE) where ``step`` could be taken; restore it after."""

    def __init__(self, record, step):
        self.model, self.pk = type(record)._base_manager, record.pk
        self.fields = STEP_SOURCE.get(step, {})

    def __enter__(self):
        row = self.model.filter(pk=self.pk)
        self.saved = row.values(*self.fields).first() if self.fields else None
        if self.fields:
            row.update(**self.fields)
        return self

    def __exit__(self, *exc):
        if self.fields:
            self.model.filter(pk=self.pk).update(**self.saved)
        return False


def superuser_actions(model_admin):
    """The changelist actions ``model_admin`` offers a superuser: every action there is."""
    request = RequestFactory().get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return sorted(model_admin.get_actions(request))


def probe_admin_actions(p, resource, model_admin, changelist):
    """Each action, POSTed on one in-scope and one out-of-scope record, as the table says.

    Refused means: the changelist answers 403/404 or the login page (no admin access), or 200/302
    without the action's confirmation page (Django's "no action selected" list, or our message
    that nothing was changed); in every case the database is exactly as it was.
    """
    admin_role = p.role in ADMIN_ROLES
    for action in superuser_actions(model_admin):
        who, confirmation, run = ADMIN_ACTIONS[resource][action]
        for key, side in p.samples(resource):
            record = p.world.record(resource, key)
            seen = side == "in" and admin_role
            allowed = seen and (key in changes(p.role, resource) if who == "changes" else p.role in who)
            absent = p.values(resource, key) if not seen else []
            selection = {"action": action, "_selected_action": [record.pk], "index": "0"}
            with ready_for(record, action if not allowed else None):
                before = snapshot(p.world, resource, key)
                response = p.send("POST", changelist, data=selection if allowed else {**selection, **run})
                after = snapshot(p.world, resource, key)
            status = response.status_code
            text = body_text(response) if status < 500 else ""
            where = f"{changelist} [{action} on {key}]"
            if allowed:
                if confirmation and not (status == 200 and confirmation in text):
                    p.fail("POST", where, f"expected its confirmation page, got {status}")
                if not confirmation and status not in (200, 302):
                    p.fail("POST", where, f"an allowed action answered {status}")
                if after != before:
                    p.fail("POST", where, "stopping at the confirmation page changed the database")
            else:
                refused = status in REFUSED or p.login_redirect(response) or status in (200, 302)
                if not refused or (confirmation and confirmation in text):
                    p.fail("POST", where, f"a forbidden action was not refused ({status})")
                if after != before:
                    FIGURES["forbidden_writes"] += 1
                    p.fail("POST", where, "a forbidden action changed the database")
            found = leaked(text, absent)
            if found:
                FIGURES["leaks"] += 1
                p.fail("POST", where, f"leaks {found}")


def add_data(world, resource):
    """A body that would add a record of ``resource`` if the role were allowed."""
    if resource == "institution":
        return {
            "name": "矩阵新增托育园",
            "credit_code": make_credit_code(779_001),
            "kind": InstitutionKind.STANDALONE,
            "street": street(WUMA).pk,
            "address": "温州市鹿城区五马街道矩阵路1号",
            "ownership": Ownership.PRIVATE,
            "legal_representative": "矩阵新增代表",
            "approved_places": "30",
            "classes-TOTAL_FORMS": "0",
            "classes-INITIAL_FORMS": "0",
        }
    if resource == "registration":
        return registration_body(world)
    if resource == "streetpopulation":
        return {"street": street(WUMA).pk, "year": 2024, "population": 100_000, "source": "矩阵"}
    if resource == "workdayoverride":
        return {"date": "2026-10-20", "is_working_day": "", "reason": "矩阵停工"}
    if resource == "pushwindowpolicy":
        return {"effective_from": "2030-01-01", "working_days": "7", "legal_source": "矩阵文件〔2029〕1号", "note": ""}
    if resource == "filingdeadlinepolicy":
        return {
            "effective_from": "2030-01-01",
            "receipt_working_days": "5",
            "notice_working_days": "15",
            "legal_source": "矩阵文件〔2029〕2号",
            "note": "",
        }
    if resource == "guidedfeepolicy":
        return {
            "effective_from": "2030-01-01",
            "full_day_min": "1500",
            "full_day_max": "3000",
            "half_day_min": "800",
            "half_day_max": "1700",
            "legal_source": "矩阵文件〔2029〕3号",
            "note": "",
        }
    if resource == "user":
        return {"username": "matrix-new", "password1": "Lucheng-Matrix-2026!", "password2": "Lucheng-Matrix-2026!"}
    if resource == "apitoken":
        return {"user": world.users["api"].pk, "name": "矩阵新系统"}
    if resource == "invitation":
        target = world.record("institution", "wuma_standalone")
        return {"institution": target.pk, "name": "矩阵新受邀人", "phone": "13800000001", "administrator": "on"}
    return {}


def registration_body(world, authority=Authority.MARKET_REGULATION):
    return {
        "authority": authority,
        "registration_number": "矩阵登记-新",
        "registered_on": datetime.date.today().isoformat(),
        "kind": "new",
        "credit_code": make_credit_code(779_002),
        "institution_name": "矩阵新登记托育园",
        "street": WUMA,
        "street_code": WUMA,
        "address": "温州市鹿城区五马街道矩阵路2号",
        "legal_representative": "矩阵新登记代表",
    }


def import_template(world, resource):
    """The template a forbidden role posts to an import page (as an allowed one would download it)."""
    if resource == "onboarding":
        from registry.onboarding import onboarding_template  # noqa: PLC0415

        return onboarding_template(world.users["superuser"])
    from registry.imports import registration_template  # noqa: PLC0415

    return registration_template()


def probe_custom_admin(p, kind, resource, route):
    admin_role = p.role in ADMIN_ROLES
    if kind == "export":
        viewer = admin_role
        p.check_read(
            reverse(route.name),
            expect_ok=viewer,
            values_absent=p.out_of_scope_values(resource),
            values_present=p.in_scope_names(resource) if viewer else (),
        )
    elif kind == "report":
        p.check_read(reverse(route.name), expect_ok=admin_role, values_absent=p.out_of_scope_values(resource))
        p.check_read(reverse(route.name) + "?year=10000", expect_ok=admin_role)
    elif kind == "add_page":
        adder = admin_role and p.role in ADDS[resource]
        p.check_read(reverse(route.name), expect_ok=adder)
    elif kind == "import":
        adder = admin_role and p.role in ADDS[resource]
        url = reverse(route.name)
        p.check_read(url, expect_ok=adder)
        if not adder:
            upload = io.BytesIO(import_template(p.world, resource))
            upload.name = f"{resource}.xlsx"
            p.check_write("POST", url, allowed=False, data={"file": upload})
        else:
            p.check_write("POST", url, allowed=True, data={})
    elif kind == "receipt":
        for key, side in p.samples(resource):
            record = p.world.record(resource, key)
            seen = side == "in" and admin_role
            url = reverse(route.name, args=[record.pk])
            documents = IssuedDocument.objects.filter(subject_id=record.pk, kind="registry.registration_receipt")
            before = documents.count()
            response = p.check_read(url, expect_ok=seen, values_absent=[] if seen else p.values(resource, key))
            if seen and response.status_code == 200:
                if response["Content-Type"] != "application/pdf" or documents.count() != 1:
                    p.fail("GET", url, "the receipt is not the registration's one PDF")
            elif documents.count() != before:
                FIGURES["forbidden_writes"] += 1
                p.fail("GET", url, "a refused receipt issued a document")
    elif kind == "filing_step":
        probe_filing_steps(p, route)
    elif kind == "filing_document":
        probe_filing_documents(p, route)
    elif kind == "user_password":
        for key, side in p.samples("user"):
            record = p.world.record("user", key)
            url = reverse(route.name, args=[record.pk])
            seen = side == "in" and admin_role
            p.check_read(url, expect_ok=seen, values_absent=[] if seen else p.values("user", key))
            data = {} if seen else {"password1": "Matrix-Takeover-2026!", "password2": "Matrix-Takeover-2026!"}
            p.check_write("POST", url, allowed=seen, data=data, target=("user", key))


#: The review steps of a filing (``registry.admin.filings.REVIEW_STEPS``), and the body that takes each.
FILING_STEPS = ("start_review", "site_check", "return", "approve", "reject")
FILING_STEP_BODY = {"apply": "1", "comment": "矩阵意见", "reasons": "矩阵理由", "comment_basic": "矩阵退回"}


def probe_filing_steps(p, route):
    """Each review step on one filing in and one out of the role's list: the reviewer gets its page and
    stops there (a POST without ``apply`` shows it again, changing nothing); anyone else posting the
    body that would take it, with the filing made ready for it, is refused and changes nothing."""
    admin_role = p.role in ADMIN_ROLES
    for step in FILING_STEPS:
        for key, side in p.samples("filing"):
            record = p.world.record("filing", key)
            seen = side == "in" and admin_role
            reviewer = seen and key in REVIEWS_FILINGS.get(p.role, NONE)
            absent = p.values("filing", key) if not seen else []
            url = reverse(route.name, args=[record.pk, step])
            if reviewer:
                with ready_for(record, f"filing.{step}"):
                    page = p.check_read(url, expect_ok=True)
                    if page.status_code == 200 and 'id="filing-step-form"' not in body_text(page):
                        p.fail("GET", url, "the step's page has no form")
                    p.check_write("POST", url, allowed=True, data={}, target=("filing", key))
            else:
                p.check_read(url, expect_ok=False, values_absent=absent)
                with ready_for(record, f"filing.{step}"):
                    p.check_write(
                        "POST", url, allowed=False, data=FILING_STEP_BODY, target=("filing", key), values=absent
                    )
        url = reverse(route.name, args=[p.world.record("filing", "wuma_standalone").pk, "no_such_step"])
        response = p.send("GET", url)
        if not (response.status_code in REFUSED or p.login_redirect(response)):
            p.fail("GET", url, f"an unknown step answered {response.status_code}")


def probe_filing_documents(p, route):
    """A filing's document: its PDF for whoever has the filing in the admin, 404 for anyone else; never
    another filing's document through this filing's address."""
    admin_role = p.role in ADMIN_ROLES
    for key, side in p.samples("filing"):
        record = p.world.record("filing", key)
        document = p.world.filing_documents[key]
        seen = side == "in" and admin_role
        url = reverse(route.name, args=[record.pk, document.pk])
        response = p.check_read(url, expect_ok=seen, values_absent=[] if seen else p.values("filing", key))
        if seen and response.status_code == 200 and response["Content-Type"] != "application/pdf":
            p.fail("GET", url, "the document is not its PDF")
        other = next(d for k, d in p.world.filing_documents.items() if k != key)
        p.check_read(reverse(route.name, args=[record.pk, other.pk]), expect_ok=False)


def probe_admin_site(p, kind, route):
    admin_role = p.role in ADMIN_ROLES
    if kind == "admin_page":
        p.check_read(reverse(route.name), expect_ok=admin_role)
    elif kind == "app_list":
        for app_label in sorted({m._meta.app_label for m in admin_site._registry}):
            response = p.send("GET", reverse(route.name, kwargs={"app_label": app_label}))
            if response.status_code not in (200, 302, 403, 404):
                p.fail("GET", app_label, f"app index answered {response.status_code}")
    elif kind == "login":
        response = p.send("GET", reverse(route.name))
        if response.status_code not in (200, 302):
            p.fail("GET", reverse(route.name), f"login page answered {response.status_code}")
    elif kind == "logout":
        # A GET must not log out (Django 5 logs out on POST only); a POST is not sent, it would end the session.
        response = p.send("GET", reverse(route.name))
        if response.status_code != 405 and not (not admin_role and response.status_code == 302):
            p.fail("GET", reverse(route.name), f"logout by GET answered {response.status_code}")
    elif kind == "password_change":
        p.check_read(reverse(route.name), expect_ok=admin_role)
    elif kind == "autocomplete":
        url = reverse(route.name)
        for key, side in p.samples("institution"):
            name = p.world.record("institution", key).name
            query = f"{url}?app_label=registry&model_name=institution&field_name=head_office&term={name}"
            seen = side == "in" and admin_role
            p.check_read(
                query,
                expect_ok=admin_role,
                values_absent=[] if seen else p.values("institution", key),
                values_present=[name] if seen else (),
            )
    elif kind == "view_on_site":
        from django.contrib.contenttypes.models import ContentType  # noqa: PLC0415

        for key, _side in p.samples("institution"):
            record = p.world.record("institution", key)
            ct = ContentType.objects.get_for_model(Institution)
            response = p.send("GET", reverse(route.name, args=[ct.pk, record.pk]))
            if leaked(body_text(response), p.values("institution", key)):
                FIGURES["leaks"] += 1
                p.fail("GET", "view_on_site", "leaks")
    elif kind == "admin_catch_all":
        response = p.send("GET", "/admin/no-such-page/")
        if response.status_code not in (302, 404):
            p.fail("GET", "/admin/no-such-page/", f"answered {response.status_code}")
    else:
        raise AssertionError(kind)


def probe_object_redirect(p, resource, route):
    model_admin = model_admin_for(resource)
    for key, side in p.samples(resource):
        record = p.world.record(resource, key)
        url = f"/admin/{model_admin.opts.app_label}/{model_admin.opts.model_name}/{record.pk}/"
        response = p.send("GET", url)
        if response.status_code not in (301, 302, 404):
            p.fail("GET", url, f"answered {response.status_code}")
        if side == "out" and leaked(body_text(response), p.values(resource, key)):
            FIGURES["leaks"] += 1
            p.fail("GET", url, "leaks")


def probe_public(p, kind, route):
    every_value = [v for values in p.world.values.values() for v in values]
    url = reverse(route.name)
    if kind == "setlang":
        response = p.send("POST", url, data={"language": "zh-hans", "next": "/"})
        if response.status_code not in (302,):
            p.fail("POST", url, f"answered {response.status_code}")
        return
    # Public pages carry no personal data at all, whoever asks.
    p.check_read(url, expect_ok=True, values_absent=every_value)


def personal_values(world):
    """Every personal value of the world, as seeded and as masked: the legal representatives, the accounts' e-mails."""
    names = [world.record("institution", key).legal_representative for key in INSTITUTIONS]
    return names + [mask_name(name) for name in names] + [user.email for user in world.users.values()]


def probe_verify(p, kind, route):
    """The public verification page: the same for every role, never a personal value.

    A genuine code (the receipt of 七都's head office, issued by the superuser) shows its public
    summary; a forged one answers 404, a malformed one 400, and neither shows the document.
    """
    personal = personal_values(p.world)
    if kind == "verify_form":
        p.check_read(reverse(route.name), expect_ok=True, values_absent=personal)
        return
    registration = p.world.record("registration", "qidu_head")
    document, _issued = registration_receipt(actor=p.world.users["superuser"], registration=registration)
    name = p.world.record("institution", "qidu_head").name
    p.check_read(
        reverse(route.name, args=[document.code]),
        expect_ok=True,
        values_absent=personal,
        values_present=[name, registration.registration_number, document.sha256],
    )
    forged = document.code[:-1] + ("0" if document.code[-1] != "0" else "1")
    for code, status in ((forged, 404), ("not-a-code", 400)):
        url = reverse(route.name, args=[code])
        response = p.check_read(
            url, expect_ok=False, values_absent=[*personal, name, document.sha256], refusals={status}
        )
        if response.status_code != status:
            p.fail("GET", url, f"expected {status}, got {response.status_code}")


def probe_portal(p, kind, route):
    url = reverse(route.name)
    every_value = [v for values in p.world.values.values() for v in values]
    # A signed-in institution user sees its own institution's name in the menu of every portal page.
    own = {v for key in SEES_INSTITUTIONS["institution"] for v in p.values("institution", key)}
    if p.role != "institution":
        own = set()
    public_absent = [v for v in every_value if v not in own]
    if kind == "portal_login":
        # Anyone may open the sign-in page; it shows nobody else's data. A signed-in institution user
        # is sent to its workbench.
        if p.role == "institution":
            response = p.send("GET", url)
            if not (response.status_code == 302 and response["Location"] == reverse("portal:home")):
                p.fail("GET", url, f"expected the workbench, got {response.status_code}")
        else:
            p.check_read(url, expect_ok=True, values_absent=p.out_of_scope_values("institution"))
    elif kind == "portal_logout":
        response = p.send("GET", url)
        if response.status_code != 405:
            p.fail("GET", url, f"logout by GET answered {response.status_code}")
    elif kind.startswith("portal_signup"):
        probe_signup(p, kind, url)
    elif kind == "portal_link":
        p.check_read(url, expect_ok=True, values_absent=public_absent)
        forged = {
            "token": "matrix-forged-token-0000000000000000000000",
            "username": "matrix-takeover",
            "password1": "Matrix-Takeover-2026!",
            "password2": "Matrix-Takeover-2026!",
            "new_password1": "Matrix-Takeover-2026!",
            "new_password2": "Matrix-Takeover-2026!",
        }
        p.check_write("POST", url, allowed=False, data=forged, target=("user", "civil"), values=public_absent)
    elif kind == "portal_reset_request":
        p.check_read(url, expect_ok=True, values_absent=public_absent)
        data = {"username": p.world.users["institution"].username, "contact": "matrix-wrong@institutions.test"}
        p.check_write("POST", url, allowed=True, data=data, target=("user", "civil"), values=public_absent)
    elif kind == "portal_administrator_page":
        p.check_read(url, expect_ok=False, values_absent=every_value, refusals={404})
        data = {"name": "矩阵同事", "phone": "13800000002", "send": "on"}
        p.check_write("POST", url, allowed=False, data=data, values=every_value)
    elif kind == "portal_page":
        own = p.role == "institution"
        absent = [
            v
            for key in ALL - SEES_INSTITUTIONS["institution"]
            for resource in ("institution", "storedfile")
            for v in p.values(resource, key)
        ]
        absent += p.out_of_scope_values("portalmessage")
        p.check_read(url, expect_ok=own, values_absent=absent if own else every_value)
        if route.name == "registry_portal:documents":
            probe_document_upload(p, url, own)
        if route.name == "registry_portal:filings":
            probe_filing_open(p, url, own)
    else:
        raise AssertionError(kind)


def probe_signup(p, kind, url):
    """The sign-up's pages are public: whoever asks gets them, with nobody's values (a signed-in institution
    sees its own name in the menu). A sign-up with another institution's partial details (its credit code
    and phone with a wrong registration number, or its number with a wrong phone) is answered without its
    name or number and creates nothing; a code posted without a sign-up in progress signs nobody in."""
    seen = SEES_INSTITUTIONS["institution"] if p.role == "institution" else NONE
    absent = [v for key in ALL - seen for v in p.values("institution", key)]
    if kind == "portal_signup":
        p.check_read(url, expect_ok=True, values_absent=absent)
        for key in ("wuma_standalone", "longwan_nursery"):
            institution, registration = p.world.record("institution", key), p.world.record("registration", key)
            for number, phone in (
                ("矩阵错号-001", institution.contact_phone),
                (registration.registration_number, "13900000000"),
            ):
                data = {
                    "credit_code": institution.credit_code,
                    "registration_number": number,
                    "phone": phone,
                    "username": f"matrix-probe-{p.role}",
                    "password1": "pw-Lucheng-2026",
                    "password2": "pw-Lucheng-2026",
                }
                before = snapshot(p.world, "institution", key)
                response = p.send("POST", url, data=data)
                if snapshot(p.world, "institution", key) != before:
                    FIGURES["forbidden_writes"] += 1
                    p.fail("POST", url, f"a sign-up with {key}'s partial details changed the database")
                if response.status_code != 200:
                    p.fail("POST", url, f"a mismatching sign-up answered {response.status_code}")
                # Refused because the details do not match (not because a sign-up is already pending).
                form = response.context and response.context.get("form")
                codes = [e.code for e in form.non_field_errors().as_data()] if form else []
                if codes != ["no_match"]:
                    p.fail("POST", url, f"a mismatching sign-up was answered {codes}, not no_match")
                # What was typed comes back in the form; nothing else of the institution may.
                hidden = [v for v in (institution.name, institution.legal_representative) if v in absent]
                if number != registration.registration_number:
                    hidden.append(registration.registration_number)
                found = leaked(body_text(response), hidden)
                if found:
                    FIGURES["leaks"] += 1
                    p.fail("POST", url, f"leaks {found}")
    elif kind == "portal_signup_confirm":
        session = p.client.session.get("_auth_user_id")
        response = p.send("GET", url)
        if response.status_code != 302:
            p.fail("GET", url, f"with no sign-up in progress answered {response.status_code}")
        before = snapshot(p.world)
        response = p.send("POST", url, data={"code": "000000"})
        if response.status_code != 302 or snapshot(p.world) != before:
            p.fail("POST", url, f"a code with no sign-up answered {response.status_code} or changed the database")
        if p.client.session.get("_auth_user_id") != session:
            p.fail("POST", url, "a code with no sign-up changed who is signed in")
    else:
        p.check_read(url, expect_ok=True, values_absent=absent)


def probe_portal_object(p, resource, route):
    """One in-scope and one out-of-scope record's portal page: shown to the institution user on its
    own record only; any other answer is a refusal that shows none of the record's values."""
    seen = sees(p.role, resource)
    keys = RECORD_KEYS.get(resource, INSTITUTIONS)
    inside = next((k for k in keys if k in SEES_PORTAL_MESSAGES["institution"]), None)
    outside = next((k for k in keys if k not in SEES_PORTAL_MESSAGES["institution"]), None)
    for key in (inside, outside):
        url = reverse(route.name, args=[p.world.record(resource, key).pk])
        ok = key in seen
        p.check_read(
            url,
            expect_ok=ok,
            values_absent=p.out_of_scope_values(resource) if ok else p.values(resource, key),
            values_present=p.values(resource, key) if ok else (),
            refusals={404},
        )


def probe_portal_administrator_action(p, resource, route):
    """The administrator's actions on a colleague or an invitation (POST only): the net's institution
    user is a colleague, so every role is refused, on its own institution's records and on others',
    and nothing changes."""
    every_value = [v for values in p.world.values.values() for v in values]
    if resource == "user":
        targets = [p.world.users["institution"], p.world.users["civil"]]
    else:
        targets = [p.world.record("invitation", "qidu_head"), p.world.record("invitation", "wuma_standalone")]
    for record in targets:
        url = reverse(route.name, args=[record.pk])
        before = (snapshot(p.world), list(type(record)._base_manager.filter(pk=record.pk).values()))
        response = p.send("POST", url, data={"send": "on"})
        after = (snapshot(p.world), list(type(record)._base_manager.filter(pk=record.pk).values()))
        if not (response.status_code in REFUSED or p.login_redirect(response)):
            p.fail("POST", url, f"a forbidden write answered {response.status_code}")
        if after != before:
            FIGURES["forbidden_writes"] += 1
            p.fail("POST", url, "a forbidden write changed the database")
        if response.status_code < 500 and leaked(body_text(response), every_value):
            FIGURES["leaks"] += 1
            p.fail("POST", url, "leaks values")
        if p.send("GET", url).status_code not in (302, 404, 405):
            p.fail("GET", url, "an action answered a GET")


def probe_document_upload(p, url, own):
    """The portal's upload (POST to its documents page): refused for every role but the institution,
    which is sent a file that is not a document, and another institution's file to replace; neither
    changes anything, nor shows the other institution's file."""
    if not own:
        data = {"purpose": "registry.other", "file": upload("矩阵上传.pdf", pdf_bytes())}
        p.check_write("POST", url, allowed=False, data=data)
        return
    p.check_write("POST", url, allowed=True, data={"purpose": "registry.other", "file": upload("矩阵.pdf", ELF)})
    foreign = next(key for key in INSTITUTIONS if key not in SEES_INSTITUTIONS["institution"])
    record = p.world.record("storedfile", foreign)
    data = {"replaces": str(record.public_id), "file": upload("矩阵替换.pdf", pdf_bytes())}
    p.check_write(
        "POST", url, allowed=True, data=data, target=("storedfile", foreign), values=p.values("storedfile", foreign)[:2]
    )


def filing_state(filing):
    """What a refused filing request must leave as it was: the filing, its sections, steps, files and documents."""
    return (
        list(Filing.objects.filter(pk=filing.pk).values()),
        list(FilingSection.objects.filter(filing=filing).order_by("pk").values()),
        filing.transitions.count(),
        StoredFile.objects.count(),
        IssuedDocument.objects.count(),
        Filing.objects.count(),
    )


def check_filing_write(p, url, filing, *, allowed, data, values=()):
    """A POST to a filing's page: refused (404, or the sign-in) unless ``allowed``; either way, sent a
    body the service refuses (``allowed``) or would take (not), it changes nothing and leaks nothing."""
    before = filing_state(filing)
    response = p.send("POST", url, data=data)
    status = response.status_code
    if not allowed and not (status in REFUSED or p.login_redirect(response)):
        p.fail("POST", url, f"a forbidden write answered {status}")
    if allowed and status != 400:
        p.fail("POST", url, f"a refused write answered {status}, not 400")
    if filing_state(filing) != before:
        if not allowed:
            FIGURES["forbidden_writes"] += 1
        p.fail("POST", url, "the write changed the filing")
    found = leaked(body_text(response), values) if status < 500 else []
    if found:
        FIGURES["leaks"] += 1
        p.fail("POST", url, f"leaks {found}")


def probe_filing_open(p, url, own):
    """Opening a filing (POST to the list): refused for every role but the institution, whose filing in
    progress makes its own request refused on the page (400); nothing is opened either way."""
    filing = p.world.record("portalfiling", "qidu_head")
    check_filing_write(p, url, filing, allowed=own, data={"kind": "initial"})


def probe_portal_filing(p, kind, route):
    """A filing's steps, section, materials and documents, for the institution's own filing and another
    institution's: the institution user reaches its own (a refused body changes nothing: the filing is
    returned, incomplete, its premises section awaiting a fix); anyone else, and anyone on the other
    filing, is refused with nothing changed or shown. A document named under another filing is a 404."""
    seen = sees(p.role, "portalfiling")
    for key in PORTAL_FILING_KEYS:
        filing = p.world.record("portalfiling", key)
        own = key in seen
        absent = p.out_of_scope_values("portalfiling") if own else p.values("portalfiling", key)
        present = p.values("portalfiling", key) if own else ()
        if kind == "submit":
            url = reverse(route.name, args=[filing.pk])
            check_filing_write(p, url, filing, allowed=own, data={}, values=absent)
        elif kind == "withdraw":
            url = reverse(route.name, args=[filing.pk])
            p.check_read(url, expect_ok=own, values_absent=absent, refusals={404})
            if own:  # without the confirmation only the question comes back
                before = filing_state(filing)
                if p.send("POST", url, data={"comment": "矩阵"}).status_code != 200 or filing_state(filing) != before:
                    p.fail("POST", url, "an unconfirmed withdrawal was not only asked again")
            else:
                check_filing_write(p, url, filing, allowed=False, data={"confirm": "1"}, values=absent)
        elif kind == "section":
            url = reverse(route.name, args=[filing.pk, "premises"])
            p.check_read(url, expect_ok=own, values_absent=absent, values_present=present, refusals={404})
            body = {**section_input("premises"), "complete": "1"}
            if own:  # a lease of one year: refused on the page
                today = datetime.date.today()
                body["lease_start"], body["lease_end"] = (
                    today.isoformat(),
                    (today + datetime.timedelta(days=400)).isoformat(),
                )
            check_filing_write(p, url, filing, allowed=own, data=body, values=absent)
        elif kind == "material":
            url = reverse(route.name, args=[filing.pk, "premises"])
            content = ELF if own else pdf_bytes()
            body = {"purpose": "filing.premises_proof", "file": upload("矩阵材料.pdf", content)}
            check_filing_write(p, url, filing, allowed=own, data=body, values=absent)
            if p.send("GET", url).status_code not in (302, 404, 405):
                p.fail("GET", url, "an upload answered a GET")
        elif kind == "document":
            document = p.world.record("portalfilingnotice", key)
            url = reverse(route.name, args=[filing.pk, document.pk])
            response = p.check_read(url, expect_ok=own, values_absent=absent, refusals={404})
            if own and response.status_code == 200:
                if response.content != document_file(document) or not response["Content-Disposition"].startswith(
                    "attachment"
                ):
                    p.fail("GET", url, "not the issued PDF as an attachment")
                if response["Cache-Control"] != "no-store":
                    p.fail("GET", url, "a document may be kept by a cache")
            other = next(k for k in PORTAL_FILING_KEYS if k != key)
            crossed = reverse(route.name, args=[filing.pk, p.world.record("portalfilingnotice", other).pk])
            p.check_read(crossed, expect_ok=False, values_absent=p.values("portalfiling", other), refusals={404})
        else:
            raise AssertionError(kind)


def probe_file_download(p, route):
    """Each role downloads an in-scope institution's file (200, the file itself, as an attachment) and
    is refused an out-of-scope one's and a guessed id (404, or the sign-in), with nothing of it shown."""
    authed = p.role in AUTHENTICATED
    for key, side in p.samples("storedfile"):
        record = p.world.record("storedfile", key)
        url = reverse(route.name, args=[record.public_id])
        seen = side == "in" and authed
        response = p.check_read(url, expect_ok=seen, values_absent=[] if seen else p.values("storedfile", key))
        if seen and response.status_code == 200:
            response = p.send("GET", url)  # again: the check above read the streamed body
            content = b"".join(response.streaming_content)
            if content != record.file.open("rb").read():
                p.fail("GET", url, "the download is not the stored file")
            if not response["Content-Disposition"].startswith("attachment") or response["X-Content-Type-Options"] != (
                "nosniff"
            ):
                p.fail("GET", url, "not sent as an attachment with nosniff")
        p.check_write("POST", url, allowed=False, data={}, values=[] if seen else p.values("storedfile", key))
    guessed = reverse(route.name, args=["00000000-0000-4000-8000-000000000000"])
    p.check_read(guessed, expect_ok=False)


def api_url(route, *args, **kwargs):
    if route.has_format:
        return reverse(route.name, args=args, kwargs={**kwargs, "format": "json"})
    return reverse(route.name, args=args, kwargs=kwargs or None)


def probe_import_job(p, route):
    from luchen_care.core.models import ImportJob, ImportJobStatus  # noqa: PLC0415

    for owner in IMPORT_JOB_OWNERS:
        job, _created = ImportJob.objects.get_or_create(
            filename=f"矩阵导入-{owner}.xlsx",
            defaults={
                "kind": "registry.registration",
                "file": "imports/matrix.xlsx",
                "language": "zh-hans",
                "status": ImportJobStatus.IMPORTED,
                "rows_total": 1,
                "rows_done": 1,
                "report": {"created": 1, "existing": 0, "errors": [], "message": f"矩阵导入报告-{owner}"},
                "created_by": p.world.users[owner],
            },
        )
        seen = p.role in (owner, "superuser")
        p.check_read(
            reverse(route.name, args=[job.pk]),
            expect_ok=seen,
            values_absent=[] if seen else [job.filename, job.report["message"]],
            refusals={401, 404},
        )


def probe_api(p, kind, resource, route):
    authed = p.role in AUTHENTICATED
    if kind == "api_token":
        url = reverse(route.name)
        response = p.send("POST", url, api=True, data={"username": "matrix-health", "password": "wrong"}, json=True)
        if response.status_code != 400:
            p.fail("POST", url, f"wrong password answered {response.status_code}")
        probe_own_token(p, "DELETE", url)
        return
    if kind == "api_token_rotate":
        probe_own_token(p, "POST", reverse(route.name))
        return
    if kind == "api_root":
        p.check_read(api_url(route), expect_ok=authed, api=True)
        return
    if kind == "report":
        p.check_read(api_url(route), expect_ok=authed, api=True, values_absent=p.out_of_scope_values(resource))
        p.check_read(api_url(route) + "?year=10000", expect_ok=False, api=True, refusals={400, 401})
        return
    if kind == "api_lifecycle":
        probe_api_lifecycle(p, resource, route)
        return
    if resource == "apifiling":
        probe_api_filing(p, kind.removeprefix("api_filing_"), route)
        return
    if resource == "api_street":
        url = api_url(route) if kind == "api_list" else api_url(route, code=WUMA)
        p.check_read(url, expect_ok=authed and (kind == "api_list" or "wuma" in COUNTY_ROWS[p.role]), api=True)
        return
    if kind == "api_list":
        url = api_url(route)
        p.check_read(
            url + "?page_size=100",
            expect_ok=authed,
            api=True,
            values_absent=p.out_of_scope_values(resource),
            values_present=p.in_scope_names(resource) if authed else (),
        )
        if resource == "institution":
            allowed = p.role in ADDS["institution"] and p.role != "education"  # education: nursery classes only
            body = {k: v for k, v in add_data(p.world, "institution").items() if "-" not in k}
            body["street"] = WUMA
            data = {"credit_code": "not-a-code"} if allowed else body
        else:
            allowed = p.role in API_SENDS_REGISTRATIONS
            data = {"credit_code": "not-a-code"} if allowed else registration_body(p.world)
        p.check_write("POST", url, allowed=allowed, data=data, api=True, json=True)
        return
    # api_detail
    for key, side in p.samples(resource):
        record = p.world.record(resource, key)
        url = api_url(route, pk=record.pk)
        seen = side == "in" and authed
        absent = p.values(resource, key) if not seen else []
        p.check_read(url, expect_ok=seen, api=True, values_absent=absent)
        may_change = seen and key in changes(p.role, resource)
        actions = getattr(route.callback, "actions", {})
        for method in ("put", "patch"):
            if method in actions:
                data = {"credit_code": "not-a-code"} if may_change else {"name": "矩阵篡改", "address": "篡改"}
                p.check_write(
                    method.upper(),
                    url,
                    allowed=may_change,
                    data=data,
                    target=(resource, key),
                    api=True,
                    json=True,
                    values=absent,
                )
        p.check_write("DELETE", url, allowed=False, data=None, target=(resource, key), api=True, values=absent)


def probe_own_token(p, method, url):
    """Rotate (POST) or revoke (DELETE) a token by presenting it: only a token does it, and only to itself.

    Without a token (anonymous, or a signed-in session) the request is refused and changes nothing;
    with a token issued for the probe it answers 200 / 204, and that token is rotated or revoked.
    """
    p.check_write(method, url, allowed=False, data={} if method == "POST" else None, json=True)
    if p.role == "anonymous":
        return
    key = api_token(p.world.users[p.role], name=f"矩阵探针-{method}")
    token = ApiToken.objects.get(key_hash=api_token_hash(key))
    own = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
    response = getattr(own, method.lower())(url, content_type="application/json")
    FIGURES["requests"] += 1
    token.refresh_from_db()
    if method == "POST":
        new = response.json().get("token", "") if response.status_code == 200 else ""
        if not (new and token.state() == "expiring" and token.replaced_by.key_hash == api_token_hash(new)):
            p.fail(method, url, f"rotating its own token answered {response.status_code}")
    elif not (response.status_code == 204 and token.state() == "revoked"):
        p.fail(method, url, f"revoking its own token answered {response.status_code}")
    if response.status_code >= 500:
        FIGURES["server_errors"] += 1


def lifecycle_step(route):
    """``mark_filed`` for ``api:institution-mark-filed``."""
    return route.name.removeprefix("api:institution-").replace("-", "_")


def probe_api_lifecycle(p, resource, route):
    """A lifecycle step: allowed callers are sent an invalid date (400 on it, nothing changes); others the real step."""
    authed = p.role in AUTHENTICATED
    for key, side in p.samples(resource):
        record = p.world.record(resource, key)
        url = api_url(route, pk=record.pk)
        seen = side == "in" and authed
        may_change = seen and key in changes(p.role, resource)
        absent = p.values(resource, key) if not seen else []
        if may_change:
            before = snapshot(p.world, resource, key)
            response = p.send("POST", url, api=True, data={**LIFECYCLE_STEP, "effective_on": "矩阵"}, json=True)
            fields = response.json().get("error", {}).get("fields", {}) if response.status_code == 400 else {}
            if "effective_on" not in fields:
                p.fail("POST", url, f"an invalid step answered {response.status_code}, not a 400 on effective_on")
            if snapshot(p.world, resource, key) != before:
                p.fail("POST", url, "an invalid step changed the database")
        else:
            with ready_for(record, lifecycle_step(route)):
                p.check_write(
                    "POST",
                    url,
                    allowed=False,
                    data=LIFECYCLE_STEP,
                    target=(resource, key),
                    api=True,
                    json=True,
                    values=absent,
                )


class sections_complete(contextlib.AbstractContextManager):
    """Mark ``filing``'s sections complete (test set-up, a plain UPDATE), so that submitting it would
    succeed; restore them after."""

    def __init__(self, filing):
        self.rows = FilingSection.objects.filter(filing=filing)

    def __enter__(self):
        self.saved = dict(self.rows.values_list("pk", "status"))
        self.rows.update(status="complete")
        return self

    def __exit__(self, *exc):
        for pk, status in self.saved.items():
            FilingSection.objects.filter(pk=pk).update(status=status)
        return False


def filing_write_bodies(key):
    """For each write of a filing: the body a filer is sent (invalid: a 400, nothing changes) and the
    body anyone else is sent (it would succeed if allowed: ``test_the_filing_probes_would_file_if_allowed``)."""
    return {
        "section": (
            {"data": section_input("basic", contact_phone="矩阵"), "complete": True},
            {"data": section_input("basic"), "complete": False},
        ),
        "materials": (
            {"purpose": "filing.licence", "file": upload("矩阵材料.pdf", ELF)},
            {"purpose": "filing.licence", "file": upload("矩阵材料.pdf", pdf_bytes(f"MATRIX-FILING-{key}"))},
        ),
        "submit": ({}, {}),  # a filer's filing is incomplete (400); anyone else's is made complete first
        "withdraw": ({"comment": "矩" * 2001}, {"comment": "矩阵撤回"}),
    }


def probe_api_filing(p, step, route):
    """Filings through the API: read as the institution is seen; written by those who file for it only.

    A filer is sent an invalid body (a 400 that changes nothing); anyone else the body that would
    succeed, refused (401/403/404) with nothing changed. A document's PDF is served under its own
    filing only."""
    authed = p.role in AUTHENTICATED
    files_for = changes(p.role, "apifiling")
    if step == "list":
        url = api_url(route)
        p.check_read(
            url + "?page_size=100",
            expect_ok=authed,
            api=True,
            values_absent=p.out_of_scope_values("apifiling"),
            values_present=p.in_scope_names("apifiling") if authed else (),
        )
        free = p.world.record("institution", FILING_FREE)
        body = {"institution": free.pk, "kind": "initial"}
        # FILING_FREE is out of every filer's reach (400); an own institution has its filing open (400).
        p.check_write("POST", url, allowed=bool(files_for), data=body, api=True, json=True, values=[free.name])
        for key in sorted(files_for):
            own = {"institution": p.world.record("institution", key).pk, "kind": "initial"}
            p.check_write("POST", url, allowed=True, data=own, api=True, json=True)
        return
    for key, side in p.samples("apifiling"):
        filing = p.world.record("apifiling", key)
        seen = side == "in" and authed
        may_file = seen and key in files_for
        absent = p.values("apifiling", key) if not seen else []
        target = ("apifiling", key)
        if step == "detail":
            url = api_url(route, pk=filing.pk)
            shown = [filing.institution.name] if seen else ()
            p.check_read(url, expect_ok=seen, api=True, values_absent=absent, values_present=shown)
            for method in ("PUT", "PATCH", "DELETE"):
                data = None if method == "DELETE" else {"status": "filed"}
                p.check_write(method, url, allowed=False, data=data, target=target, api=True, json=True, values=absent)
        elif step == "document":
            document = p.world.record("filingdocument", key)
            url = api_url(route, pk=filing.pk, document_id=document.pk)
            response = p.check_read(url, expect_ok=seen, api=True, values_absent=absent)
            if seen and response.status_code == 200 and response.content != bytes(document.content):
                p.fail("GET", url, "the download is not the filing's issued PDF")
            other = next(k for k in RECORD_KEYS["apifiling"] if k != key)
            foreign = api_url(route, pk=filing.pk, document_id=p.world.record("filingdocument", other).pk)
            p.check_read(foreign, expect_ok=False, api=True, values_absent=p.values("apifiling", other))
        else:
            url = api_url(route, pk=filing.pk, key="basic") if step in ("section", "materials") else None
            url = url or api_url(route, pk=filing.pk)
            method = "PUT" if step == "section" else "POST"
            invalid, real = filing_write_bodies(key)[step]
            json_body = step != "materials"
            if may_file:
                p.check_write(method, url, allowed=True, data=invalid, target=target, api=True, json=json_body)
                continue
            with sections_complete(filing) if step == "submit" else contextlib.nullcontext():
                p.check_write(
                    method, url, allowed=False, data=real, target=target, api=True, json=json_body, values=absent
                )


def probe_two_factor(p, route):
    """The page answers whoever works in the admin, refuses the rest, and a code posted to it for
    anyone else's account changes nothing (it acts on the signed-in user only)."""
    url = reverse(route.name)
    admin_role = p.role in ADMIN_ROLES
    p.check_read(url, expect_ok=admin_role)
    for action in ("enrol", "verify", "recovery"):
        response = p.send("POST", url, data={"action": action, "otp_token": "000000"})
        if response.status_code >= 500:
            p.fail("POST", url, f"{action} answered {response.status_code}")
        if not admin_role and not (response.status_code in REFUSED or p.login_redirect(response)):
            p.fail("POST", url, f"{action} by a non-admin role answered {response.status_code}")
    # A signed-in admin role is verified: it reaches the workbench (the net runs with REQUIRE_2FA).
    if admin_role:
        p.check_read(reverse("admin:index"), expect_ok=True)


def run_probes(world, role):
    p = Prober(world, role)
    for route in url_patterns():
        classified = classify(route)
        if classified is None:
            p.fail("-", route.pattern, "not classified")
            continue
        kind, resource = classified
        if kind.startswith("admin_") and resource and kind != "admin_object_redirect":
            probe_admin_model(p, kind, resource, route)
        elif kind == "admin_object_redirect":
            probe_object_redirect(p, resource, route)
        elif kind in (
            "export",
            "report",
            "add_page",
            "import",
            "user_password",
            "receipt",
            "filing_step",
            "filing_document",
        ) and route.name.startswith("admin:"):
            probe_custom_admin(p, kind, resource, route)
        elif route.name and route.name.startswith("admin:") or kind == "admin_catch_all":
            probe_admin_site(p, kind, route)
        elif kind in ("public", "setlang"):
            probe_public(p, kind, route)
        elif kind in VERIFY.values():
            probe_verify(p, kind, route)
        elif kind == "portal_object":
            probe_portal_object(p, resource, route)
        elif kind == "portal_filing":
            probe_portal_filing(p, resource, route)
        elif kind == "portal_administrator_action":
            probe_portal_administrator_action(p, resource, route)
        elif kind.startswith("portal_"):
            probe_portal(p, kind, route)
        elif kind == "import_job":
            probe_import_job(p, route)
        elif kind == "two_factor":
            probe_two_factor(p, route)
        elif kind == "file_download":
            probe_file_download(p, route)
        else:
            probe_api(p, kind, resource, route)
    return p.failures


# --- the tests --------------------------------------------------------------------------------------


def test_every_url_is_classified():
    unknown = [route.pattern for route in url_patterns() if classify(route) is None]
    assert unknown == [], f"classify these URLs in tests/security/test_role_url_matrix.py: {unknown}"


def test_the_table_covers_every_role_and_admin():
    assert set(SEES_INSTITUTIONS) == set(ROLES) == set(SEES_REGISTRATIONS)
    admin_resources = {model._meta.model_name for model in admin_site._registry}
    assert admin_resources == {"institution", "registration", "personaldataaccess"} | set(BUREAU_PAGES) | set(
        DISTRICT_RECORDS
    ) | set(SEES_ACCOUNTS)


def test_the_table_covers_every_admin_action():
    """A new changelist action needs its line in ADMIN_ACTIONS (who may run it), or this fails."""
    offered = {
        model._meta.model_name: superuser_actions(model_admin)
        for model, model_admin in admin_site._registry.items()
        if superuser_actions(model_admin)
    }
    assert offered == {resource: sorted(actions) for resource, actions in ADMIN_ACTIONS.items()}


@pytest.mark.parametrize("role", ROLES)
def test_role_sees_and_changes_only_what_the_table_says(role, record_property):
    world = build_world()
    before = dict(FIGURES)
    failures = run_probes(world, role)
    figures = {name: FIGURES[name] - before[name] for name in FIGURES}
    # Reported at the end of the run by tests/conftest.py (from every xdist worker too).
    record_property("role_url_matrix", {"role": role, "urls": len(url_patterns()), **figures})
    assert failures == [], f"{len(failures)} problems for {role}:\n" + "\n".join(failures[:60])
    assert figures["requests"] > 150  # every URL was probed, most of them more than once


def test_the_write_probes_would_change_a_record_if_allowed(client):
    """The forbidden-write bodies are real: posted by the health bureau, they change the record.

    Without this, a probe could be refused only because its body was invalid, and a missing
    permission check would go unseen.
    """
    world = build_world()
    sign_in(client, world.users["health"], "pw-Lucheng-2026")
    institution = world.record("institution", "wuma_standalone")
    data = admin_form_data(model_admin_for("institution"), institution)
    response = client.post(reverse("admin:registry_institution_change", args=[institution.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    institution.refresh_from_db()
    assert institution.name.endswith("（篡改）")

    population = world.record("streetpopulation", "wuma")
    version = population.history.order_by("history_id").first()
    data = admin_form_data(model_admin_for("streetpopulation"), version.instance)
    url = reverse("admin:registry_streetpopulation_simple_history", args=[population.pk, version.history_id])
    assert client.post(url, data).status_code == 302
    population.refresh_from_db()
    assert population.population == 90_000 and population.source.endswith("（篡改）")

    override = world.record("workdayoverride", "typhoon")
    data = admin_form_data(model_admin_for("workdayoverride"), override)
    assert client.post(reverse("admin:workdays_workdayoverride_change", args=[override.pk]), data).status_code == 302
    override.refresh_from_db()
    assert override.reason.endswith("（篡改）")

    rules = PushWindowPolicy.objects.count()
    add = client.post(reverse("admin:registry_pushwindowpolicy_add"), add_data(world, "pushwindowpolicy"))
    assert add.status_code == 302
    assert PushWindowPolicy.objects.count() == rules + 1
    assert PushWindowPolicy.objects.latest("pk").county.code == LUCHENG  # the bureau's own county's row
    # The default row is the superuser's to correct.
    sign_in(client, world.users["superuser"], "pw-Lucheng-2026")
    rule = world.record("pushwindowpolicy", "task20")
    data = admin_form_data(model_admin_for("pushwindowpolicy"), rule)
    assert client.post(reverse("admin:registry_pushwindowpolicy_change", args=[rule.pk]), data).status_code == 302
    rule.refresh_from_db()
    assert rule.legal_source.endswith("（篡改）")
    sign_in(client, world.users["health"], "pw-Lucheng-2026")

    before = Institution.objects.count()
    assert client.post(reverse("admin:registry_institution_add"), add_data(world, "institution")).status_code == 302
    assert Institution.objects.count() == before + 1


def test_the_upload_probe_would_store_a_file_if_allowed(client):
    """The forbidden upload's body is real: posted by the institution to its documents page, it is kept."""
    world = build_world()
    client.force_login(world.users["institution"])
    before = StoredFile.objects.count()
    data = {"purpose": "registry.other", "file": upload("矩阵上传.pdf", pdf_bytes())}
    assert client.post(reverse("registry_portal:documents"), data).status_code == 302
    assert StoredFile.objects.count() == before + 1
    assert StoredFile.objects.latest("pk").subject == world.record("institution", "qidu_head")


def test_the_filing_probes_would_change_the_filing_if_allowed(client):
    """The filing probes' bodies are real: posted by the institution with what the page needs (a lease of
    four years, a PDF, the confirmation), they save the section, store the file, submit, withdraw and open."""
    world = build_world()
    client.force_login(world.users["institution"])
    filing = world.record("portalfiling", "qidu_head")
    files = StoredFile.objects.count()
    body = {"purpose": "filing.premises_proof", "file": upload("矩阵材料.pdf", pdf_bytes())}
    assert (
        client.post(reverse("registry_portal:filing-material", args=[filing.pk, "premises"]), body).status_code == 302
    )
    assert StoredFile.objects.count() == files + 1
    section = reverse("registry_portal:filing-section", args=[filing.pk, "premises"])
    assert client.post(section, {**section_input("premises"), "complete": "1"}).status_code == 302
    assert filing.sections.get(key="premises").status == "complete"
    assert client.post(reverse("registry_portal:filing-submit", args=[filing.pk])).status_code == 302
    assert Filing.objects.get(pk=filing.pk).status == "resubmitted"
    withdraw = reverse("registry_portal:filing-withdraw", args=[filing.pk])
    assert client.post(withdraw, {"confirm": "1"}).status_code == 302
    assert Filing.objects.get(pk=filing.pk).status == "withdrawn"
    opened = Filing.objects.count()
    assert client.post(reverse("registry_portal:filings"), {"kind": "initial"}).status_code == 302
    assert Filing.objects.count() == opened + 1


def test_the_step_probes_would_take_the_step_if_allowed(client):
    """The forbidden lifecycle steps and actions are real: with the record made ready as the probes make it
    ready, the health bureau's same request takes the step (API and admin), and re-queues a delivery."""
    world = build_world()
    api = Client()
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {world.tokens['health']}"
    sign_in(client, world.users["health"], "pw-Lucheng-2026")
    institution = world.record("institution", "wuma_standalone")
    targets = {
        "mark_filed": "filed",
        "mark_operating": "operating",
        "suspend": "suspended",
        "resume": "operating",
        "close": "closed",
    }
    lifecycle_routes = [
        r for r in url_patterns() if classify(r) == ("api_lifecycle", "institution") and not r.has_format
    ]
    assert sorted(lifecycle_step(r) for r in lifecycle_routes) == sorted(targets)
    for route in lifecycle_routes:
        step = lifecycle_step(route)
        if step == "close":
            continue  # closing archives for good; the admin's close is checked below on another record
        with ready_for(institution, step):
            response = api.post(api_url(route, pk=institution.pk), LIFECYCLE_STEP, content_type="application/json")
            assert response.status_code == 200, (step, response.content.decode()[:500])
            assert Institution.objects.get(pk=institution.pk).status == targets[step]

    changelist = reverse("admin:registry_institution_changelist")
    other = world.record("institution", "qidu_employer")
    for action in ("suspend", "close"):
        with ready_for(other, action):
            selection = {"action": action, "_selected_action": [other.pk], "index": "0", **LIFECYCLE_APPLY}
            assert client.post(changelist, selection).status_code in (200, 302)
            assert Institution.objects.get(pk=other.pk).status == targets[action]

    delivery = world.record("pushdelivery", "wuma_standalone")
    with ready_for(delivery, "requeue"):
        url = reverse("admin:exchange_pushdelivery_changelist")
        client.post(url, {"action": "requeue", "_selected_action": [delivery.pk], "index": "0"})
        assert PushDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING


def test_the_filing_step_probes_would_take_the_step_if_allowed(client):
    """The forbidden review steps are real: with the filing made ready as the probes make it ready, the
    health bureau's same request takes each step; and the policy add bodies add a county row."""
    world = build_world()
    sign_in(client, world.users["health"], "pw-Lucheng-2026")
    targets = {"start_review": "under_review", "site_check": "site_check", "return": "returned", "reject": "rejected"}
    for step, target in targets.items():
        filing = world.record("filing", "wuma_standalone")
        with ready_for(filing, f"filing.{step}"):
            url = reverse("admin:registry_filing_review", args=[filing.pk, step])
            assert client.post(url, FILING_STEP_BODY).status_code == 302
            assert Filing.objects.get(pk=filing.pk).status == target, step
    filing = world.record("filing", "qidu_employer")
    with ready_for(filing, "filing.approve"):
        client.post(reverse("admin:registry_filing_review", args=[filing.pk, "approve"]), FILING_STEP_BODY)
        assert Filing.objects.get(pk=filing.pk).status == "filed"
    for resource, model in (("filingdeadlinepolicy", FilingDeadlinePolicy), ("guidedfeepolicy", GuidedFeePolicy)):
        before = model.objects.count()
        assert client.post(reverse(f"admin:registry_{resource}_add"), add_data(world, resource)).status_code == 302
        assert model.objects.count() == before + 1
        assert model.objects.latest("pk").county.code == LUCHENG


def test_the_filing_probes_would_file_if_allowed():
    """The bodies the filing probes send to those who may not file are real: sent by an API client
    granted filing for the whole deployment, each goes through (open, section, material, submit,
    withdraw)."""
    world = build_world()
    filer = User(username="matrix-filer", email="matrix-filer@users.test", role=Role.API_CLIENT, grant_filing=True)
    filer.set_password("pw-Lucheng-2026")
    filer.full_clean()
    filer.save()
    api = Client()
    api.defaults["HTTP_AUTHORIZATION"] = f"Token {api_token(filer)}"
    free = world.record("institution", FILING_FREE)
    opened = api.post("/api/v1/filings/", {"institution": free.pk, "kind": "initial"}, content_type="application/json")
    assert opened.status_code == 201, opened.content
    # The world's filing of 五马's stand-alone institution was returned in the portal; put back in draft
    # (test set-up, a plain UPDATE) so that its basic information may be written again.
    filing = world.record("apifiling", "wuma_standalone")
    Filing.objects.filter(pk=filing.pk).update(status="draft")
    FilingSection.objects.filter(filing=filing).update(status="draft")
    bodies = {step: real for step, (_invalid, real) in filing_write_bodies("wuma_standalone").items()}
    base = f"/api/v1/filings/{filing.pk}/"
    section = api.put(f"{base}sections/basic/", bodies["section"], content_type="application/json")
    assert section.status_code == 200 and section.json()["status"] == "draft", section.content
    material = api.post(f"{base}sections/basic/materials/", bodies["materials"])
    assert material.status_code == 201, material.content
    with sections_complete(filing):
        submitted = api.post(f"{base}submit/", bodies["submit"], content_type="application/json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted", submitted.content
    withdrawn = api.post(f"{base}withdraw/", bodies["withdraw"], content_type="application/json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.content
