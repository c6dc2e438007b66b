"""``branding`` in every template: the platform's name, place and issuing body for this user."""

from django.utils.functional import SimpleLazyObject

from .branding import branding_for


def branding(request):
    # Lazy: a page that shows no branding (a JSON view rendered through a template) reads nothing.
    return {"branding": SimpleLazyObject(lambda: branding_for(getattr(request, "user", None)))}
