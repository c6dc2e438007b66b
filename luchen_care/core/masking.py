"""One masking helper for every face: personal fields a reader is not granted show masked.

Who reads a record's personal fields (a legal representative's name, a contact phone) in full:
the bureaus, the registration authorities, street offices and the institution itself, whose work
needs them; an API client only when its grant says so (``User.scope_personal_data``). Everyone
else reads them masked: 张** for a name, 138****5678 for a phone number.
"""

from luchen_care.accounts.models import Role

PERSONAL_FIELDS = ("legal_representative", "contact_phone")


def reads_personal_data(user) -> bool:
    """Whether ``user`` reads personal fields in full (see the module's rule)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.role == Role.API_CLIENT:
        return bool(user.scope_personal_data)
    return bool(user.role)


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳修文 → 欧***: the family name's first character and one star per other."""
    value = (value or "").strip()
    return value[:1] + "*" * (len(value) - 1) if value else value


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678, 0577-88888888 → 0577****8888: the first and last four kept at most."""
    value = (value or "").strip()
    if len(value) <= 7:
        return "*" * len(value)
    head = value[:4] if "-" in value[:5] else value[:3]
    return head + "****" + value[-4:]


MASKS = {"legal_representative": mask_name, "contact_phone": mask_phone}


def masked(row: dict, user) -> dict:
    """``row`` (a record as a face shows it) with its personal fields masked unless ``user`` reads them."""
    if reads_personal_data(user):
        return row
    for name, mask in MASKS.items():
        if row.get(name):
            row[name] = mask(row[name])
    return row
