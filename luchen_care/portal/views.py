"""The portal shell's pages: sign-in and sign-out (the apps add theirs)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from .forms import PortalAuthenticationForm


class PortalLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = False
    extra_context = {"title": _("Institution sign-in")}


class PortalLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")
