"""Realistic demo data: institutions of every kind across Lucheng's streets, and one user per role.

Deterministic (a fixed seed) and idempotent: running it again finds what it made and
changes nothing. The names, codes, people and phone numbers are invented.
"""

import datetime
import functools
import hashlib
import hmac
import random

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from luchen_care.accounts.models import COUNTY_ROLES, STAFF_ROLES, ApiToken, Authority, Role, User, api_token_hash
from luchen_care.accounts.services import api_token_issue
from luchen_care.regions.models import County
from luchen_care.regions.services import county_brand

from .demo_filings import demo_filing_notes, load_demo_filings
from .models import (
    ClassType,
    DemonstrationLevel,
    Institution,
    InstitutionKind,
    InstitutionStatus,
    Ownership,
    RegistrationKind,
    RegistrationSource,
    Street,
    StreetPopulation,
)
from .services.institutions import (
    institution_create,
    institution_mark_filed,
    institution_mark_operating,
    institution_suspend,
)
from .services.registrations import registration_record
from .services.streets import county_streets_load
from .validators import USCC_ALPHABET, uscc_check_character

DEMO_PASSWORD = "Lucheng-demo-2026"


@functools.cache
def demo_password_hash() -> str:
    """The demo password hashed once for every demo login: each hash takes a third of a second."""
    return make_password(DEMO_PASSWORD)


WUMA = "330302006"
# The demo's counties: Lucheng, and 龙湾区 of the same city with a few institutions of its own.
DEMO_COUNTY, SECOND_COUNTY = "330302", "330303"
SECOND_COUNTY_KINDS = [
    InstitutionKind.STANDALONE,
    InstitutionKind.NURSERY_CLASS,
    InstitutionKind.COMMUNITY,
    InstitutionKind.FAMILY,
    InstitutionKind.STANDALONE,
]
CHAIN_BRANCHES = (12, 20)

# (username, role, extra fields, display name)
DEMO_USERS = [
    ("admin", None, {"is_superuser": True}, "系统管理员"),
    # Lucheng's health bureau is also its county's administrator: it manages 鹿城's accounts and tokens.
    ("health", Role.HEALTH_BUREAU, {"county_administrator": True}, "区卫生健康局"),
    ("education", Role.EDUCATION_BUREAU, {}, "区教育局"),
    ("market", Role.REGISTRATION_AUTHORITY, {"authority": Authority.MARKET_REGULATION}, "区市场监管局"),
    ("civil", Role.REGISTRATION_AUTHORITY, {"authority": Authority.CIVIL_AFFAIRS}, "区民政局"),
    ("establishment", Role.REGISTRATION_AUTHORITY, {"authority": Authority.ESTABLISHMENT_OFFICE}, "区委编办"),
    ("wuma", Role.STREET_OFFICE, {"street_code": WUMA}, "五马街道办事处"),
    ("institution", Role.INSTITUTION, {"institution_head": True}, "贝乐托育（连锁总部）"),
    ("api", Role.API_CLIENT, {}, "区大数据管理中心"),
    # The second county of the same city, and the city's commission that follows both.
    ("longwan", Role.HEALTH_BUREAU, {"county": SECOND_COUNTY}, "龙湾区卫生健康局"),
    ("wenzhou", Role.CITY_HEALTH_COMMISSION, {"city_code": "3303"}, "温州市卫生健康委员会"),
]

# Invented demo figures, not official statistics; the bureau enters the real ones.
DEMO_POPULATION_2021 = {
    "330302006": 61200,
    "330302023": 96500,
    "330302024": 120300,
    "330302025": 132800,
    "330302026": 68900,
    "330302027": 139700,
    "330302028": 52400,
    "330302029": 74100,
    "330302030": 58600,
    "330302031": 101200,
    "330302032": 71800,
    "330302033": 93700,
    "330302102": 73500,
    "330302105": 44800,
}

BRANDS = [
    "贝乐",
    "小海豚",
    "童心",
    "彩虹树",
    "启蒙星",
    "爱贝",
    "金色摇篮",
    "禾苗",
    "蓝天",
    "小橡树",
    "乐成",
    "悦芽",
    "瓯江",
    "七色光",
    "果果",
    "小蜜蜂",
    "睿宝",
    "向日葵",
    "萌芽",
    "鹿鸣",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
GIVEN = ["晓燕", "建华", "丽娟", "海峰", "文静", "志强", "雪梅", "国栋", "佳怡", "一鸣", "秀英", "伟"]
ROADS = [
    "解放街",
    "人民路",
    "府前街",
    "信河街",
    "蝉街",
    "广场路",
    "车站大道",
    "学院路",
    "飞霞南路",
    "黎明西路",
    "锦绣路",
    "会昌路",
    "勤奋路",
    "双屿大道",
    "藤桥中路",
]

KIND_PLAN = (
    [InstitutionKind.STANDALONE] * 22
    + [InstitutionKind.NURSERY_CLASS] * 14
    + [InstitutionKind.COMMUNITY] * 10
    + [InstitutionKind.EMPLOYER] * 6
    + [InstitutionKind.FAMILY] * 8
)


def _credit_code(rng, first, second, county_code):
    body = f"{first}{second}{county_code}" + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


def _person(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _institution_spec(rng, index, kind, street):
    brand = BRANDS[index % len(BRANDS)]
    ownership = Ownership.PUBLIC if kind == InstitutionKind.NURSERY_CLASS and index % 2 == 0 else Ownership.PRIVATE
    if kind == InstitutionKind.COMMUNITY and index % 3 == 0:
        ownership = Ownership.PUBLIC
    for_profit = ownership == Ownership.PRIVATE and kind in (InstitutionKind.STANDALONE, InstitutionKind.FAMILY)
    if ownership == Ownership.PUBLIC:
        authority, first, second = Authority.ESTABLISHMENT_OFFICE, "1", "2"
    elif for_profit:
        authority, first, second = Authority.MARKET_REGULATION, "9", "1"
    else:
        authority, first, second = Authority.CIVIL_AFFAIRS, "5", "2"
    if kind == InstitutionKind.FAMILY and index % 4 == 1:
        first, second = "Y", "1"  # a valid code that starts with a letter
    short = street.name.removesuffix("街道").removesuffix("镇")
    county, city = street.county.name, street.county.city_name
    names = {
        InstitutionKind.STANDALONE: f"{city}{county}{brand}托育有限公司{short}园",
        InstitutionKind.NURSERY_CLASS: f"{city}{county}{short}{brand}幼儿园（托班）",
        InstitutionKind.COMMUNITY: f"{county}{short}{brand}社区嵌入式托育中心",
        InstitutionKind.EMPLOYER: f"{brand}集团职工托育园（{short}）",
        InstitutionKind.FAMILY: f"{short}{brand}家庭托育点",
    }
    if kind == InstitutionKind.STANDALONE and not for_profit:
        names[kind] = f"{city}{county}{brand}托育服务中心（{short}）"
    if kind == InstitutionKind.FAMILY:
        classes = [{"class_type": ClassType.MIXED, "class_count": 1, "capacity": 5}]
    elif kind == InstitutionKind.NURSERY_CLASS:
        classes = [{"class_type": ClassType.OLDER, "class_count": rng.randint(1, 3), "capacity": 0}]
    else:
        classes = [
            {"class_type": ClassType.INFANT, "class_count": 1, "capacity": 0},
            {"class_type": ClassType.TODDLER, "class_count": rng.randint(1, 2), "capacity": 0},
            {"class_type": ClassType.OLDER, "class_count": rng.randint(1, 3), "capacity": 0},
        ]
    per_class = {ClassType.INFANT: 10, ClassType.TODDLER: 15, ClassType.OLDER: 20, ClassType.MIXED: 5}
    for c in classes:
        if not c["capacity"]:
            c["capacity"] = c["class_count"] * per_class[c["class_type"]]
    places = sum(c["capacity"] for c in classes)
    registered_on = datetime.date(2021, 3, 1) + datetime.timedelta(days=rng.randint(0, 1900))
    status = rng.choices(
        [
            InstitutionStatus.OPERATING,
            InstitutionStatus.FILED,
            InstitutionStatus.REGISTERED,
            InstitutionStatus.SUSPENDED,
        ],
        weights=[70, 12, 12, 6],
    )[0]
    fields = {
        "name": names[kind],
        "credit_code": _credit_code(rng, first, second, street.county.code),
        "kind": kind,
        "ownership": ownership,
        "for_profit": for_profit,
        "inclusive": ownership == Ownership.PUBLIC or rng.random() < 0.45,
        "registration_authority": authority,
        "street": street,
        "address": f"{city}{county}{street.name}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
        "legal_representative": _person(rng),
        "contact_phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
        "approved_places": places,
        "demonstration_level": rng.choices(
            [
                DemonstrationLevel.NONE,
                DemonstrationLevel.DISTRICT,
                DemonstrationLevel.CITY,
                DemonstrationLevel.PROVINCIAL,
            ],
            weights=[80, 10, 7, 3],
        )[0],
        "livelihood_project": kind in (InstitutionKind.COMMUNITY, InstitutionKind.STANDALONE) and rng.random() < 0.3,
        "status": status,
        "registered_on": registered_on,
    }
    if status != InstitutionStatus.REGISTERED:
        fields["filed_on"] = registered_on + datetime.timedelta(days=rng.randint(5, 40))
    if status in (InstitutionStatus.OPERATING, InstitutionStatus.SUSPENDED):
        fields["operating_since"] = fields["filed_on"] + datetime.timedelta(days=rng.randint(10, 60))
    if status == InstitutionStatus.SUSPENDED:
        fields["suspended_on"] = fields["operating_since"] + datetime.timedelta(days=rng.randint(100, 400))
    return fields, classes


# The demo counties' branding (``manage.py region brand`` in a real deployment): English names and
# Lucheng's plan; the issuing bodies are the derived ones (温州市鹿城区卫生健康局, 温州市龙湾区卫生健康局).
DEMO_BRANDING = {
    DEMO_COUNTY: {
        "name_en": "Lucheng District",
        "policy_basis": (
            "温州市鹿城区人民政府办公室关于印发加快推进3岁以下婴幼儿照护服务发展实施方案的通知（温鹿政办〔2020〕64号）"
        ),
    },
    SECOND_COUNTY: {"name_en": "Longwan District"},
}


def _demo_branding():
    for code, fields in DEMO_BRANDING.items():
        county = County.objects.get(code=code)
        if any(getattr(county, name) != value for name, value in fields.items()):
            county_brand(county=county, **fields)


@transaction.atomic
def load_demo(*, stdout=None):
    """Create the demo streets' populations, ~60 institutions, one user per role, a few registrations,
    and filings in every status with a portal login for each of their institutions (``demo_filings``).

    Returns a dict of what was created. A second run creates nothing and changes nothing.
    """
    created = {"institutions": 0, "users": 0, "populations": 0, "registrations": 0, "filings": 0}
    for code in (DEMO_COUNTY, SECOND_COUNTY):
        county_streets_load(code=code)
    _demo_branding()
    streets = list(Street.objects.filter(county__code=DEMO_COUNTY).order_by("code"))
    for street in streets:
        _obj, made = StreetPopulation.objects.get_or_create(
            street=street,
            year=2021,
            defaults={"population": DEMO_POPULATION_2021[street.code], "source": "演示数据（非官方统计）"},
        )
        created["populations"] += made

    rng = random.Random(20201216)
    specs = []
    for index, kind in enumerate(KIND_PLAN):
        # Five institutions in 五马; the rest spread over every street and town.
        street = streets[0] if index % 12 == 0 else streets[index % len(streets)]
        specs.append(_institution_spec(rng, index, kind, street))

    head = None  # the chain head office: the first institution; 12 and 20 are its branches
    lifecycles = []  # (institution, its steps) for the institutions this run registers
    for index, (fields, classes) in enumerate(specs):
        steps = _lifecycle_steps(fields)
        if Institution.objects.filter(credit_code=fields["credit_code"]).exists():
            institution = Institution.objects.get(credit_code=fields["credit_code"])
        else:
            if index in CHAIN_BRANCHES:
                fields["head_office"] = head
            institution = institution_create(actor=None, classes=classes, **fields)
            lifecycles.append((institution, steps))
            created["institutions"] += 1
        if index == 0:
            head = institution
    second = list(Street.objects.filter(county__code=SECOND_COUNTY).order_by("code"))
    rng = random.Random(20201217)
    for index, kind in enumerate(SECOND_COUNTY_KINDS):
        fields, classes = _institution_spec(rng, index + 3, kind, second[index * 2 % len(second)])
        steps = _lifecycle_steps(fields)
        if not Institution.objects.filter(credit_code=fields["credit_code"]).exists():
            lifecycles.append((institution_create(actor=None, classes=classes, **fields), steps))
            created["institutions"] += 1

    for username, role, extra, display in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        user = User(
            username=username,
            first_name=display,
            role=role or "",
            is_staff=role in STAFF_ROLES or extra.get("is_superuser", False),
        )
        user.is_superuser = extra.get("is_superuser", False)
        user.county_administrator = extra.get("county_administrator", False)
        user.authority = extra.get("authority", "")
        if role in COUNTY_ROLES:
            user.county = County.objects.get(code=extra.get("county", DEMO_COUNTY))
        user.city_code = extra.get("city_code", "")
        if "street_code" in extra:
            user.street = Street.objects.get(code=extra["street_code"])
        if extra.get("institution_head"):
            # The chain's administrator in the portal: it invites and removes its colleagues.
            user.institution = head
            user.institution_administrator = True
        user.password = demo_password_hash()
        user.full_clean()
        user.save()
        if role == Role.API_CLIENT:
            api_token_issue(actor=user, user=user, name=DEMO_TOKEN_NAME, key=demo_api_key())
        created["users"] += 1

    # The bureau records each one's filing, opening and suspension, as it would: each step shows
    # in the institution's history and step log, by the health bureau's demo user.
    bureaus = {
        user.county.code: user
        for user in User.objects.filter(username__in=["health", "longwan"]).select_related("county")
    }
    for institution, steps in lifecycles:
        for service, effective_on, document_reference, reason in steps:
            institution = service(
                institution=institution,
                actor=bureaus[institution.street.county.code],
                effective_on=effective_on,
                document_reference=document_reference,
                reason=reason,
            )
    created["registrations"] = _demo_registrations()
    # Filings in every status, through the filing services, each institution with a portal login.
    filings = load_demo_filings(password_hash=demo_password_hash())
    created["users"] += filings["users"]
    created["filings"] = filings["filings"]
    return created


def _lifecycle_steps(fields):
    """Take the spec's status and dates out of ``fields``: the steps that lead there, dated.

    An institution starts registered; a step dated after today is not taken (yet).
    """
    fields.pop("status")  # where the dated steps lead
    dates = {name: fields.pop(name, None) for name in ("filed_on", "operating_since", "suspended_on")}
    code = fields["credit_code"][-6:]
    short = fields["street"].county.name[:1]  # 鹿, 龙: as the county's documents are numbered
    plan = [
        (institution_mark_filed, dates["filed_on"], f"{short}卫备〔演示〕{code}号", "纸质备案补录（演示数据）"),
        (institution_mark_operating, dates["operating_since"], f"{short}卫运〔演示〕{code}号", "开始收托（演示数据）"),
        (institution_suspend, dates["suspended_on"], "", "整改期间暂停收托（演示数据）"),
    ]
    today = timezone.localdate()
    steps = []
    for service, effective_on, document_reference, reason in plan:
        if effective_on is None or effective_on > today:
            break
        steps.append((service, effective_on, document_reference, reason))
    return steps


# (registering user, registration-number prefix) — each authority records its own institutions.
DEMO_REGISTRARS = {
    Authority.MARKET_REGULATION: ("market", "SCJG"),
    Authority.CIVIL_AFFAIRS: ("civil", "MZ"),
    Authority.ESTABLISHMENT_OFFICE: ("establishment", "BB"),
}
CODE_PREFIX = {Authority.MARKET_REGULATION: "9", Authority.CIVIL_AFFAIRS: "5", Authority.ESTABLISHMENT_OFFICE: "1"}


def _demo_registrations():
    """Two recent registrations per authority, recorded through ``registration_record`` as the
    authority's user would, so the registration list, its deadlines and the push inbox have rows.

    They are dated a few days before the first run; the registration number identifies them, so a
    later run (on any day) finds them and changes nothing.
    """
    made = 0
    today = timezone.localdate()
    for authority, (username, prefix) in DEMO_REGISTRARS.items():
        actor = User.objects.get(username=username)
        institutions = (
            Institution.objects.visible_to(actor)
            .filter(registration_authority=authority, credit_code__startswith=CODE_PREFIX[authority])
            .order_by("credit_code")[:2]
        )
        for offset, institution in enumerate(institutions):
            _registration, was_created = registration_record(
                actor=actor,
                source=RegistrationSource.ADMIN,
                authority=authority,
                registration_number=f"{prefix}-DEMO-{institution.credit_code[-6:]}",
                registered_on=today - datetime.timedelta(days=2 + 3 * offset),
                kind=RegistrationKind.NEW,
                credit_code=institution.credit_code,
                institution_name=institution.name,
                street_code=institution.street.code,
                address=institution.address,
                legal_representative=institution.legal_representative,
            )
            made += was_created
    return made


DEMO_TOKEN_NAME = "区大数据管理中心（演示）"


def demo_api_key() -> str:
    """The demo API client's key: derived from this deployment's secret key, so that every run of the
    demo prints it again (only its hash is stored), and no two deployments share it."""
    return hmac.new(settings.SECRET_KEY.encode(), b"lucheng-care demo api token", hashlib.sha256).hexdigest()[:40]


def demo_notes() -> list[str]:
    """What ``manage.py demo`` prints after loading: the demo logins and the API user's token."""
    lines = [f"\n演示账号 / demo logins (password for all: {DEMO_PASSWORD})"]
    lines += [f"  {username:<14} {role or 'superuser':<24} {display}" for username, role, _extra, display in DEMO_USERS]
    lines.append("工作人员在 /admin/ 登录；机构账号（institution）在 /portal/login/ 登录")
    lines.append("staff sign in at /admin/, institutions at /portal/login/")
    lines += demo_filing_notes()
    key = demo_api_key()
    token = ApiToken.objects.usable(timezone.now()).filter(user__username="api", key_hash=api_token_hash(key)).first()
    if token:
        lines.append(f"\nAPI token of user 'api': {key} ({token.name}, expires {token.expires_at:%Y-%m-%d})")
    return lines
