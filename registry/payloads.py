"""What the health bureau receives about registrations: the versioned JSON documents, and their text.

The documents are described in ``docs/push.md``. Rules for changing them:
- adding a field is backwards compatible and keeps the version;
- removing, renaming or changing the meaning or type of a field makes a new version
  (``…/v2``), announced to the bureau before it is sent.

A document is built from the registration as registered (``Registration.data``, written
once by ``registry.services.registrations.registration_record`` and never changed), not from the
live ``Institution`` row, and without a clock. It is built once, when the push is written
to the outbox, and stored there: every retry sends the same bytes, whatever later
registrations or edits do to the institution. It carries only what the bureau needs to
follow up a registration (PIPL: no legal representative, no address).

The outbox (``luchen_care.exchange``) serialises and signs it (``to_bytes``).
"""

from luchen_care.exchange.channels import to_bytes  # noqa: F401  (the bytes these documents are sent as)
from luchen_care.regions.branding import short_name

REGISTRATION_SCHEMA = "lucheng-care.registration-push/v1"
DIGEST_SCHEMA = "lucheng-care.overdue-digest/v1"


def _date(value):
    return value.isoformat() if value else None


def registered_institution(registration) -> dict:
    """The institution as this registration registered it (``Registration.data``).

    A row written without its data (outside ``registration_record``: the benchmark's bulk
    rows, rows made by hand) falls back to the institution's stored values; its body is
    then only as stable as that row.
    """
    data = registration.data or {}
    if "institution_name" in data:
        return {
            "id": registration.institution_id,
            "name": data["institution_name"],
            "credit_code": data.get("credit_code"),
            "street_code": data.get("street_code"),
        }
    institution = registration.institution
    return {
        "id": institution.pk,
        "name": institution.name,
        "credit_code": institution.credit_code,
        "street_code": institution.street.code if institution.street_id else None,
    }


def registration_document(registration) -> dict:
    """The registration as the bureau sees it, without the envelope."""
    return {
        "id": registration.pk,
        "authority": registration.authority,
        "authority_name": str(registration.get_authority_display()),
        "registration_number": registration.registration_number,
        "kind": registration.kind,
        "registered_on": _date(registration.registered_on),
        "push_deadline": _date(registration.push_deadline),
        "push_deadline_provisional": registration.push_deadline_provisional,
        "institution": registered_institution(registration),
    }


def registration_push_document(registration, *, key) -> dict:
    """The webhook document of one registration's push: ``lucheng-care.registration-push/v1``.

    ``key`` is the push's Idempotency-Key, sent as ``delivery_id`` too.
    """
    return {
        "schema": REGISTRATION_SCHEMA,
        "delivery_id": str(key),
        "registration": registration_document(registration),
    }


def overdue_digest_document(run, registrations) -> dict:
    """The webhook document of a daily digest: ``lucheng-care.overdue-digest/v1``."""
    return {
        "schema": DIGEST_SCHEMA,
        "digest_id": str(run.idempotency_key),
        "date": _date(run.date),
        "county": {"code": run.county.code, "name": run.county.name} if run.county_id else None,
        "count": len(registrations),
        "registrations": [registration_document(r) for r in registrations],
    }


def registration_label(registration) -> str:
    """What people see of a registration's push in the outbox's admin: authority and number,
    institution and credit code, as registered."""
    institution = registered_institution(registration)
    return (
        f"{registration.get_authority_display()} {registration.registration_number} · "
        f"{institution['name']}（{institution['credit_code']}）"
    )


# What a free-text value (a name, a registration number) could do in the group chat's markdown:
# become a link or an image, start a heading or a list on a line of its own, turn bold. Each is
# shown as its full-width twin, which reads the same to a person and means nothing to markdown.
_MARKDOWN_PLAIN = str.maketrans({"[": "［", "]": "］", "*": "＊", "`": "｀", "<": "＜", ">": "＞", "#": "＃",
                                 "|": "｜", "\\": "＼", "\n": " ", "\r": " "})  # fmt: skip


def _plain(value) -> str:
    """``value`` as text that DingTalk's markdown shows as it is."""
    return str(value).translate(_MARKDOWN_PLAIN)


def _county_prefix(registration, county_name=None) -> str:
    """The short name of the registration's county (its institution's street's), as the group knows it."""
    if county_name is None:
        institution = registration.institution
        county_name = institution.street.county.name if institution.street_id else ""
    return short_name(county_name) if county_name else ""


def registration_markdown(registration, *, county_name=None) -> tuple[str, str]:
    """(title, markdown text) of the DingTalk notice for one registration."""
    institution = registered_institution(registration)
    title = f"登记推送：{_plain(institution['name'])}"
    provisional = "（暂定）" if registration.push_deadline_provisional else ""
    text = "\n".join(
        [
            f"#### {_county_prefix(registration, county_name)}托育：{registration.get_kind_display()}",
            f"- 机构：{_plain(institution['name'])}",
            f"- 统一社会信用代码：{institution['credit_code']}",
            f"- 登记机关：{registration.get_authority_display()}",
            f"- 登记编号：{_plain(registration.registration_number)}",
            f"- 登记日期：{_date(registration.registered_on)}",
            f"- 推送期限：{_date(registration.push_deadline)}{provisional}",
            "",
            "请在平台“待备案登记”中跟进机构备案。",
        ]
    )
    return title, text


DIGEST_MARKDOWN_LIMIT = 30  # DingTalk messages are read on a phone; the full list is in the platform


def digest_markdown(run, registrations) -> tuple[str, str]:
    """(title, markdown text) of the DingTalk daily digest of overdue pushes."""
    county = run.county.name if run.county_id else ""
    title = f"{county}逾期未推送登记日报 {run.date.isoformat()}"
    # The number of working days comes from each registration's push window (its dated rule).
    windows = "或".join(str(n) for n in sorted({r.push_rule.working_days for r in registrations}))
    summary = f"截至今日，共 **{len(registrations)}** 条登记超过{windows}个工作日推送期限仍未推送："
    lines = [f"#### {title}", summary, ""]
    for registration in registrations[:DIGEST_MARKDOWN_LIMIT]:
        lines.append(
            f"- {_plain(registered_institution(registration)['name'])}（{registration.get_authority_display()} "
            f"{_plain(registration.registration_number)}），期限 {_date(registration.push_deadline)}"
        )
    if len(registrations) > DIGEST_MARKDOWN_LIMIT:
        lines.append(f"- ……其余 {len(registrations) - DIGEST_MARKDOWN_LIMIT} 条见平台“逾期推送日报”")
    return title, "\n".join(lines)
