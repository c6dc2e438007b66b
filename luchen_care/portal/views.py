"""The portal shell's pages: the workbench, sign-in and sign-out (the apps add theirs)."""

from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luchen_care.core.workbench import Audience, workbench_entries

from .access import in_portal, institution_required
from .forms import PortalAuthenticationForm


@institution_required
def home(request):
    """The institution's workbench: what is left to do, from every app's providers."""
    entries = workbench_entries(request.user, audience=Audience.PORTAL)
    return render(request, "portal/home.html", {"title": _("Workbench"), "entries": entries})


class PortalLoginView(auth_views.LoginView):
    """The institutions' sign-in (the login limits and their record apply, as on the admin's). A
    signed-in institution user is sent to its workbench; anyone else sees the form."""

    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = False
    next_page = reverse_lazy("portal:home")
    extra_context = {"title": gettext_lazy("Institution sign-in")}

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and in_portal(request.user):
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")
