"""Reads of portal sign-ups: the bureau's list and its workbench count."""

from ..models import PortalSignup, SignupState


def portal_signup_list(*, user):
    """The sign-ups ``user`` may see (``visible_to``), with what a list needs loaded."""
    return PortalSignup.objects.visible_to(user).select_related("institution", "account", "decided_by")


def portal_signups_awaiting_activation(*, user):
    """The pending sign-ups ``user`` sees: what the admin's list filtered to *pending* shows, and what the
    staff workbench counts."""
    return portal_signup_list(user=user).filter(state=SignupState.PENDING)
