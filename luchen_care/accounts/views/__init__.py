"""The two-factor page (/admin/two-factor/): enrol an authenticator, verify this session, renew
recovery codes. Every write goes through ``services``; see ``twofactor`` for the whole flow."""

from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from ..forms import CodeForm
from ..permissions import two_factor_required, works_in_admin
from ..selectors import recovery_codes_left, totp_device
from ..services import recovery_codes_issue, second_factor_verify, totp_enrolment_confirm, totp_enrolment_start


def qr_svg(data: str) -> str:
    """``data`` as an inline SVG QR code (no script, no image request: nothing for the CSP to refuse)."""
    out = BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def grouped(base32_key: str) -> str:
    return " ".join(base32_key[i : i + 4] for i in range(0, len(base32_key), 4))


@method_decorator(never_cache, name="dispatch")  # recovery codes and the key are on these pages
class TwoFactorView(View):
    template_name = "accounts/two_factor.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "admin:login")
        if not works_in_admin(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _next(self, request):
        target = request.POST.get("next") or request.GET.get("next") or ""
        allowed = {request.get_host()}
        if url_has_allowed_host_and_scheme(target, allowed_hosts=allowed, require_https=request.is_secure()):
            return target
        return "admin:index"

    def render(self, request, **context):
        user = request.user
        device = totp_device(user)
        context = {
            **admin.site.each_context(request),
            "title": _("Two-factor sign-in"),
            "device": device,
            "verified": user.is_verified(),
            "required": two_factor_required(user),
            "recovery_codes_left": recovery_codes_left(user) if device else 0,
            "next": self._next(request) if request.POST.get("next") or request.GET.get("next") else "",
            **context,
        }
        if device is None and "recovery_codes" not in context:
            enrolling = totp_enrolment_start(user)
            context["qr_svg"] = mark_safe(qr_svg(enrolling.config_url))  # our own SVG, from our own key
            context["secret"] = grouped(b32encode(enrolling.bin_key).decode().rstrip("="))
        context.setdefault("form", CodeForm())
        return TemplateResponse(request, self.template_name, context)

    def get(self, request):
        return self.render(request)

    def post(self, request):
        user = request.user
        action = request.POST.get("action")
        device = totp_device(user)
        form = CodeForm(request.POST)
        if action == "enrol" and device is None:
            if form.is_valid():
                codes = totp_enrolment_confirm(request, user, form.cleaned_data["otp_token"])
                if codes is not None:
                    return self.render(request, recovery_codes=codes, device=totp_device(user), verified=True)
                form.add_error("otp_token", _("That code does not match. Enter the code your app shows now."))
            return self.render(request, form=form)
        if action == "verify" and device is not None and not user.is_verified():
            if form.is_valid():
                verified = second_factor_verify(request, user, form.cleaned_data["otp_token"])
                if verified is not None:
                    otp_login(request, verified)
                    return redirect(self._next(request))
                form.add_error("otp_token", _("The verification code is wrong or has expired."))
            return self.render(request, form=form)
        if action == "recovery" and device is not None and user.is_verified():
            codes = recovery_codes_issue(user)
            messages.success(request, _("New recovery codes issued: the old ones no longer work."))
            return self.render(request, recovery_codes=codes)
        return self.render(request)
