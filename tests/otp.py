"""The shared second factor of the tests: a real authenticator and real codes (RFC 6238), so that
unit, browser and load tests sign in the way production does (``REQUIRE_2FA``).

- ``Authenticator.enrol(user)``: the user's authenticator app, enrolled (a confirmed TOTP device).
- ``authenticator.code()``: the six digits the app shows now. A code is accepted once: signing in
  again within the same 30 seconds takes the next step's code (the device allows one step of drift),
  and after that this waits for the clock, as a person would.
- ``sign_in(client, user, password)``: the admin's own login form, with the code when the user has
  an authenticator (enrolling one first if ``REQUIRE_2FA`` asks it of the user).
"""

import time
from base64 import b32decode

from django.urls import reverse
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from luchen_care.accounts.permissions import two_factor_required
from luchen_care.accounts.selectors import totp_device


class Authenticator:
    def __init__(self, device):
        self.device = device

    @classmethod
    def enrol(cls, user):
        device = totp_device(user) or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        return cls(device)

    @classmethod
    def of(cls, user):
        """The user's authenticator: the one enrolled, or (``REQUIRE_2FA``) a new one; else ``None``."""
        device = totp_device(user)
        if device is None and two_factor_required(user):
            return cls.enrol(user)
        return cls(device) if device is not None else None

    def code(self) -> str:
        device = self.device
        device.refresh_from_db()
        while True:
            now = int((time.time() - device.t0) // device.step) + device.drift
            counter = max(now, device.last_t + 1)
            if counter <= now + device.tolerance:
                return f"{hotp(device.bin_key, counter, device.digits):0{device.digits}d}"
            time.sleep(device.step - (time.time() - device.t0) % device.step + 0.05)


def code_for_key(base32_key: str, at: float | None = None) -> str:
    """The code an app shows for a key typed from the enrolment page (``at``: a Unix time)."""
    key = b32decode(base32_key.replace(" ", "") + "=" * (-len(base32_key.replace(" ", "")) % 8))
    counter = int((time.time() if at is None else at) // 30)
    return f"{hotp(key, counter, 6):06d}"


def sign_in(client, user, password, *, expect_ok=True):
    """Sign ``client`` in as ``user`` through the admin's login form, second factor included."""
    data = {"username": user.get_username(), "password": password, "next": reverse("admin:index")}
    authenticator = Authenticator.of(user)
    if authenticator is not None:
        data["otp_token"] = authenticator.code()
    response = client.post(reverse("admin:login"), data)
    if expect_ok:
        assert response.status_code == 302, response.content.decode()[:2000]
    return response
