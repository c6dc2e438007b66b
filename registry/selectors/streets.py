"""Streets as a user may pick them: its county's (``visible_to``), or every one for the system."""

from ..models import Street


def streets_for(actor):
    """The streets and towns ``actor`` may name in a form, an import or a template, by NBS code;
    every street when there is no actor (the system's own checks)."""
    streets = Street.objects.all() if actor is None else Street.objects.visible_to(actor)
    return streets.order_by("code")
