"""The registry's entries on the staff workbench (``luchen_care.core.workbench``), registered from ``apps.py``.

Each entry counts a list of the admin and links to it: the changelist with the filter whose
selector the count uses (``registry.selectors.registrations``), on ``visible_to(user)`` as the
changelist's own queryset is, so a count is always the number of rows its link shows. Who gets
an entry is decided by the rule that lets them act on it, never by a role switch:

- whoever records registrations (``can_record_registration``: a registration authority, the
  health bureau) follows their pushes: overdue, due today, still inside the window;
- whoever reads the inbox (``InboxEntryAdmin``: the health bureau, the education bureau for its
  nursery classes, the city's commission) sees the registrations whose institution has not filed;
- a street office (a scope of streets) sees what was registered in its street lately;
- a district bureau (``Scope.district_wide``) sees a bar per street of this month's new registrations;
- whoever reads the portal sign-ups' list (``PortalSignupAdmin``) sees those awaiting activation;
- whoever invites institutions' people sees the institutions still to invite;
- the bureau that reviews filings (``filing_review_queue``) sees those awaiting its review, and
  those past their receipt deadline.

Each entry and chart costs one query, whatever the data.
"""

from django.contrib import admin
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luchen_care.accounts.permissions import manages_institution_accounts, works_in_admin
from luchen_care.core.scope import Reach, scope_for
from luchen_care.core.workbench import Bar, Chart, Entry
from luchen_care.portal.access import in_portal

from .models import (
    Filing,
    FilingStatus,
    InboxEntry,
    Institution,
    InstitutionStatus,
    PortalSignup,
    Registration,
    RegistrationKind,
    SignupState,
)
from .models.filings import AWAITING_BUREAU
from .permissions import can_record_registration
from .selectors.filing_review import filing_review_queue, filings_awaiting_review, reviews_filings
from .selectors.invitations import institutions_to_invite
from .selectors.registrations import (
    RECENT_DAYS,
    registrations_awaiting_filing,
    registrations_deadline_ahead,
    registrations_due_today,
    registrations_per_street,
    registrations_recent,
    registrations_registered_in_month,
)
from .selectors.signups import portal_signups_awaiting_activation

# The institution list's filter (``admin.invitations.PortalAccountFilter``) of the institutions to invite.
TO_INVITE = "to_invite"


def _changelist(model, query):
    return f"{reverse(f'admin:registry_{model._meta.model_name}_changelist')}?{query}"


def registration_push_entries(user, *, today=None):
    """The pushes of the registrations ``user`` records: overdue, due today, and those still in their window."""
    if not (works_in_admin(user) and can_record_registration(user)):
        return []
    today = today or timezone.localdate()
    registrations = Registration.objects.visible_to(user)
    overdue = registrations.overdue(today).count()
    due_today = registrations_due_today(registrations, today=today).count()
    ahead = registrations_deadline_ahead(registrations, today=today).aggregate(
        count=Count("pk"), earliest=Min("push_deadline")
    )
    return [
        Entry(
            key="registry.push_overdue",
            label=_("Registrations not pushed by their deadline"),
            count=overdue,
            url=_changelist(Registration, "overdue=yes"),
            urgent=bool(overdue),
            help=_("The deadline day has ended and the health bureau does not have them yet."),
            order=10,
        ),
        Entry(
            key="registry.push_due_today",
            label=_("Registration pushes due today"),
            count=due_today,
            url=_changelist(Registration, "due=today"),
            urgent=bool(due_today),
            help=_("They must reach the health bureau before the day ends."),
            order=20,
        ),
        Entry(
            key="registry.push_ahead",
            label=_("Registrations awaiting push, deadline ahead"),
            count=ahead["count"],
            url=_changelist(Registration, "due=ahead"),
            help=_("Earliest deadline: %(date)s") % {"date": ahead["earliest"].isoformat()} if ahead["count"] else "",
            order=30,
        ),
    ]


def awaiting_filing_entries(user):
    """The inbox's registrations whose institution is still only registered: it has yet to file."""
    if not admin.site.get_model_admin(InboxEntry).reads_bureau_records(user):
        return []
    count = registrations_awaiting_filing(user=user).filter(institution__status=InstitutionStatus.REGISTERED).count()
    return [
        Entry(
            key="registry.awaiting_filing",
            label=_("Registrations awaiting filing"),
            count=count,
            url=_changelist(InboxEntry, f"institution__status__exact={InstitutionStatus.REGISTERED}"),
            help=_("Received from the registration authorities; the institution has not filed yet."),
            order=40,
        )
    ]


def street_registration_entries(user, *, today=None):
    """A street office's: what was registered in its street in the last ``RECENT_DAYS`` days.

    A fixed window rather than "since the last visit": the count stays what the list shows
    however often the page is opened, and no visit has to be stored.
    """
    if not works_in_admin(user) or scope_for(user).reach != Reach.STREETS:
        return []
    count = registrations_recent(Registration.objects.visible_to(user), today=today).count()
    return [
        Entry(
            key="registry.street_recent",
            label=_("Registrations in the street, last %(days)d days") % {"days": RECENT_DAYS},
            count=count,
            url=_changelist(Registration, "recent=yes"),
            help=_("New institutions, changes and deregistrations registered by the registration authorities."),
            order=50,
        )
    ]


def new_registrations_chart(user, *, today=None):
    """A district bureau's bars: this month's new registrations (新设登记), one bar per street that has any."""
    if not (works_in_admin(user) and scope_for(user).district_wide):
        return []
    today = today or timezone.localdate()
    new = Registration.objects.visible_to(user).filter(kind=RegistrationKind.NEW)
    rows = registrations_per_street(registrations_registered_in_month(new, month=today))
    month = f"kind__exact={RegistrationKind.NEW}&registered_on__year={today.year}&registered_on__month={today.month}"
    bars = tuple(
        Bar(
            label=row["street_name"],
            count=row["count"],
            url=_changelist(Registration, f"institution__street__id__exact={row['street_id']}&{month}"),
        )
        for row in rows
    )
    return [Chart(key="registry.new_by_street", title=_("New registrations this month, by street"), bars=bars)]


def pending_signups_entries(user):
    """ "Portal sign-ups awaiting activation", for whoever reads the sign-ups' admin list: the count of
    its rows filtered to *pending* (the same selector as the list), linking to that filtered list.
    One query."""
    model_admin = admin.site._registry.get(PortalSignup)
    if model_admin is None or not model_admin.reads_bureau_records(user):
        return []
    count = portal_signups_awaiting_activation(user=user).count()
    return [
        Entry(
            key="registry.portal_signups_pending",
            label=_("Portal sign-ups awaiting activation"),
            count=count,
            url=_changelist(PortalSignup, f"state__exact={SignupState.PENDING}"),
            help=_("Institutions that signed up without a code: check each and activate or reject it."),
            order=45,
        )
    ]


def institutions_to_invite_entry(user):
    """Whoever invites institutions' people: the institutions to invite, opening the institution list
    filtered to them (``admin.invitations.PortalAccountFilter``; one COUNT)."""
    if not manages_institution_accounts(user):
        return []
    return [
        Entry(
            key="registry.institutions_to_invite",
            label=_("Institutions to invite to the portal"),
            count=institutions_to_invite(user=user).count(),
            url=_changelist(Institution, f"portal={TO_INVITE}"),
            help=_("Registered, with no portal account and no invitation waiting: invite their administrator."),
            order=60,
        )
    ]


def portal_filing_entries(user):
    """The portal workbench's filing entries (``Audience.PORTAL``): the filings awaiting the institution
    (a draft to finish, or returned: urgent), and those with the bureau; each opens the filings page.
    Two COUNTs, on ``visible_to(user)`` as the page's own list is."""
    if not in_portal(user):
        return []
    filings = Filing.objects.visible_to(user)
    counts = filings.aggregate(
        awaiting=Count("pk", filter=Q(status__in=[FilingStatus.DRAFT, FilingStatus.RETURNED])),
        returned=Count("pk", filter=Q(status=FilingStatus.RETURNED)),
        with_bureau=Count("pk", filter=Q(status__in=AWAITING_BUREAU)),
    )
    url = reverse("registry_portal:filings")
    entries = [
        Entry(
            key="registry.filing_awaiting_you",
            label=_("Filing awaiting you"),
            count=counts["awaiting"],
            url=url,
            urgent=bool(counts["returned"]),
            help=_("Returned by the bureau: answer its comments and submit again.")
            if counts["returned"]
            else _("Fill in every section and upload the materials, then submit."),
            order=20,
        )
    ]
    if counts["with_bureau"]:
        entries.append(
            Entry(
                key="registry.filing_under_review",
                label=_("Filing under review"),
                count=counts["with_bureau"],
                url=url,
                help=_("The bureau is reviewing it; its deadlines are on the filing's page."),
                order=30,
            )
        )
    return entries


def filing_review_entries(user, *, today=None):
    """The reviewing bureau's filings: those awaiting its review (urgent when one is due today or
    overdue) and those past their receipt deadline, each opening the queue filtered to them
    (``admin.filings.DueFilter``). One query for both."""
    if not (works_in_admin(user) and reviews_filings(user)):
        return []
    today = today or timezone.localdate()
    figures = filings_awaiting_review(filing_review_queue(user=user)).aggregate(
        awaiting=Count("pk"),
        due=Count("pk", filter=Q(receipt_deadline__lte=today)),
        overdue=Count("pk", filter=Q(receipt_deadline__lt=today)),
    )
    return [
        Entry(
            key="registry.filings_awaiting_review",
            label=_("Filings awaiting my review"),
            count=figures["awaiting"],
            url=_changelist(Filing, "due=awaiting"),
            urgent=bool(figures["due"]),
            help=_("Due today or overdue: %(count)d.") % {"count": figures["due"]} if figures["due"] else "",
            order=35,
        ),
        Entry(
            key="registry.filings_overdue",
            label=_("Filings past their receipt deadline"),
            count=figures["overdue"],
            url=_changelist(Filing, "due=overdue"),
            urgent=bool(figures["overdue"]),
            help=_("The receipt was due within the legal working days and has not been given."),
            order=36,
        ),
    ]
