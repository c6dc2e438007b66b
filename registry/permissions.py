"""Who may change which institution: decided here, once.

Seeing is decided by ``Institution.objects.visible_to``; changing is narrower. Only
the roles that own institution data write it: the health bureau (everything) and the
education bureau (kindergarten nursery classes). Street offices, registration
authorities, institutions and API clients read.
"""

from luchen_care.accounts.models import Authority, Role

from .models import Institution, InstitutionKind


def can_create_institution(user, kind=None) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.role == Role.HEALTH_BUREAU:
        return True
    if user.role == Role.EDUCATION_BUREAU:
        return kind in (None, InstitutionKind.NURSERY_CLASS)
    return False


def can_change_institution(user, institution=None) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if institution is not None and institution.archived:
        return False  # closed institutions are kept as they were
    if user.is_superuser or user.role == Role.HEALTH_BUREAU:
        return True
    if user.role == Role.EDUCATION_BUREAU:
        return institution is None or institution.kind == InstitutionKind.NURSERY_CLASS
    return False


def can_record_registration(user, authority=None) -> bool:
    """Registrations (登记) are recorded by a registration authority for itself, or by the health bureau.

    Recording one may create or update the registered institution: that narrower right is
    why institution services take ``authorized=True`` from ``registry.services.registrations``.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.role == Role.HEALTH_BUREAU:
        return True
    if user.role == Role.REGISTRATION_AUTHORITY and user.authority:
        return authority in (None, user.authority)
    return False


def recordable_authorities(user) -> list[str]:
    """The authorities whose registrations ``user`` may record (the choices a form offers it)."""
    return [authority for authority in Authority.values if can_record_registration(user, authority)]


def can_correct_registration(user) -> bool:
    """The health bureau (and superusers) may record a registration that does not match, with a reason."""
    return bool(user and user.is_authenticated and user.sees_everything)


def can_write_institution(user, *, kind, stored=None) -> bool:
    """May ``user`` save an institution of ``kind``? ``stored`` is the record as stored; ``None`` when new.

    A change needs both: the right to change the record as it is, and the right to hold
    one of the (possibly new) kind — the education bureau cannot turn a nursery class
    into a stand-alone institution.
    """
    if stored is None:
        return can_create_institution(user, kind)
    return can_change_institution(user, stored) and can_create_institution(user, kind)


def can_transition_institution(user, institution=None) -> bool:
    """May ``user`` take an institution through its lifecycle (file, operate, suspend, resume, close)?

    The data owners, as for a change: the health bureau every institution, the education bureau
    nursery classes. Unlike a change, a closed institution is not refused here: the lifecycle
    itself says that nothing follows closing (a 400 on ``status``, not a 403). ``institution``
    ``None`` asks whether the role takes any institution through its lifecycle.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user.role == Role.HEALTH_BUREAU:
        return True
    if user.role == Role.EDUCATION_BUREAU:
        return institution is None or institution.kind == InstitutionKind.NURSERY_CLASS
    return False


def can_onboard_institutions(user) -> bool:
    """The county health bureau (and superusers) records the institutions that filed on paper before
    the platform, each with its filing (``registry.onboarding``): it receives the filings. A
    registration authority, a street office or the education bureau does not."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.role == Role.HEALTH_BUREAU


def can_file_for(user, institution) -> bool:
    """May ``user`` fill in and submit ``institution``'s filings? Its own institution users (a chain
    head office's users also for its branches), and an API client granted filing for institutions
    in its grant. The bureaus review; they never file in an institution's name."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    files = (user.role == Role.INSTITUTION and user.institution_id) or (
        user.role == Role.API_CLIENT and user.grant_filing
    )
    return bool(files) and Institution.objects.visible_to(user).filter(pk=institution.pk).exists()


def can_review_filing(user, filing) -> bool:
    """May ``user`` take ``filing`` through its review? The bureau it is routed to (``review_body``:
    the education bureau for nursery classes, the health bureau for the rest), of the
    institution's county; a superuser any."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not (user.is_superuser or user.role == filing.review_body):
        return False
    return Institution.objects.visible_to(user).filter(pk=filing.institution_id).exists()
