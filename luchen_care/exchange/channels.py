"""The wire: one HTTP request per call, and what its answer means for a retry.

Each sender either returns (the other side has the message) or raises:
- ``TransientError``: worth trying again later (network error, timeout, 5xx, 408, 429,
  a DingTalk ``errcode`` other than 0 that is not in ``DINGTALK_PERMANENT_ERRCODES``);
- ``PermanentError``: trying again will not help (any other 3xx or 4xx, a DingTalk robot
  that refuses us for good); a person must look.
Both carry the response status and body, when there was a response, for the record.

Messages are English msgids, rendered when raised in the active language: the services
make attempts with ``settings.LANGUAGE_CODE`` active, so the stored ``last_error`` is
Chinese whoever triggered the attempt.
"""

import json

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from .signature import dingtalk_signed_url, sign

USER_AGENT = "lucheng-care-push/1"
KEPT_BODY_CHARS = 4000
RETRIED_CLIENT_STATUSES = frozenset({408, 429})  # "try again later", even though they are 4xx

# DingTalk errcodes that no retry can fix: the robot refuses this platform until a person
# changes its settings or ours. Anything else (130101 "send too fast", system busy, codes
# not listed here) is retried with the backoff.
DINGTALK_PERMANENT_ERRCODES = frozenset(
    {
        300001,  # access_token invalid
        310000,  # keyword not in the message, sign not match, or IP not in the whitelist
        400013,  # the group has been dissolved
        400101,  # access_token does not exist
        400102,  # the robot is disabled
        400105,  # message type not supported
        400106,  # the robot does not exist
    }
)


class DeliveryError(Exception):
    def __init__(self, message, *, status=None, body=""):
        super().__init__(message)
        self.status = status
        self.body = (body or "")[:KEPT_BODY_CHARS]


class TransientError(DeliveryError):
    pass


class PermanentError(DeliveryError):
    pass


def to_bytes(document) -> bytes:
    """Serialise a webhook document once; these exact bytes are signed and sent.

    UTF-8, Chinese unescaped, compact, keys sorted: the same document gives the same bytes.
    """
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


_session = None


def http():
    """One ``requests`` session per process (keeps connections alive between deliveries)."""
    global _session
    if _session is None:
        _session = requests.Session()
        _session.headers["User-Agent"] = USER_AGENT
    return _session


def _post(url, *, body: bytes, headers: dict, timeout: float):
    try:
        return http().post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise TransientError(_("Network error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}) from exc


# The settings of each channel's endpoint and secret (per county: ``COUNTY_CHANNELS``).
ENDPOINT_SETTINGS = {
    "webhook": ("HEALTH_BUREAU_PUSH_URL", "HEALTH_BUREAU_PUSH_SECRET"),
    "dingtalk": ("DINGTALK_WEBHOOK_URL", "DINGTALK_SECRET"),
}


def endpoint(channel, destination="") -> tuple[str, str]:
    """``(url, secret)`` of ``channel`` for ``destination`` (a county's code; empty: the deployment).

    - A county with its own settings for the channel in ``COUNTY_CHANNELS`` gets them, and only
      them: an empty secret is refused when sending (never replaced by the default), an empty URL
      turns the channel off for that county.
    - A county without its own uses the deployment's default (``HEALTH_BUREAU_PUSH_URL``…) when no
      county has channels of its own (one endpoint for the whole deployment, as a single county
      has), or when it is listed in ``DEFAULT_CHANNEL_COUNTIES``. Otherwise it gets none: once
      counties have their own endpoints, a county whose settings are missing or misspelt must not
      send its registrations to another county's bureau.
    """
    url_name, secret_name = ENDPOINT_SETTINGS[channel]
    counties = settings.COUNTY_CHANNELS
    own = counties.get(destination, {}) if destination else {}
    if url_name in own or secret_name in own:
        return own.get(url_name, ""), own.get(secret_name, "")
    if not destination or not counties or destination in settings.DEFAULT_CHANNEL_COUNTIES:
        return getattr(settings, url_name), getattr(settings, secret_name)
    return "", ""


def webhook_post(*, body: bytes, idempotency_key: str, url=None, secret=None, timeout=None):
    """POST ``body`` (already serialised; these bytes are signed) to the health bureau's endpoint.

    Returns the response on 2xx; raises ``TransientError`` / ``PermanentError`` otherwise.
    """
    url = url or settings.HEALTH_BUREAU_PUSH_URL
    secret = secret if secret is not None else settings.HEALTH_BUREAU_PUSH_SECRET
    if not url:
        raise PermanentError(_("HEALTH_BUREAU_PUSH_URL is not configured."))
    if not secret:
        raise PermanentError(_("HEALTH_BUREAU_PUSH_SECRET is not configured: refusing to send unsigned data."))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Signature": sign(body, secret),
        "Idempotency-Key": idempotency_key,
    }
    response = _post(url, body=body, headers=headers, timeout=timeout or settings.HEALTH_BUREAU_PUSH_TIMEOUT)
    status = response.status_code
    if 200 <= status < 300:
        return response
    message = _("HTTP %(status)s from the health bureau endpoint") % {"status": status}
    if status >= 500 or status in RETRIED_CLIENT_STATUSES:
        raise TransientError(message, status=status, body=response.text)
    raise PermanentError(message, status=status, body=response.text)


def dingtalk_post(*, title: str, text: str, url=None, secret=None, timeout=None):
    """Send a markdown message through the DingTalk custom robot; signed when a secret is set.

    DingTalk answers HTTP 200 with ``{"errcode": 0}`` on success; any other errcode is an
    error: one in ``DINGTALK_PERMANENT_ERRCODES`` (keyword or signature mismatch, robot
    disabled or gone…) fails at once, the others (rate limit…) are retried like a 5xx.
    """
    url = url or settings.DINGTALK_WEBHOOK_URL
    secret = secret if secret is not None else settings.DINGTALK_SECRET
    if not url:
        raise PermanentError(_("DINGTALK_WEBHOOK_URL is not configured."))
    if secret:
        url = dingtalk_signed_url(url, secret)
    body = json.dumps({"msgtype": "markdown", "markdown": {"title": title, "text": text}}, ensure_ascii=False)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = _post(
        url, body=body.encode("utf-8"), headers=headers, timeout=timeout or settings.HEALTH_BUREAU_PUSH_TIMEOUT
    )
    status = response.status_code
    if status >= 500 or status in RETRIED_CLIENT_STATUSES:
        raise TransientError(_("HTTP %(status)s from DingTalk") % {"status": status}, status=status, body=response.text)
    if not 200 <= status < 300:
        raise PermanentError(_("HTTP %(status)s from DingTalk") % {"status": status}, status=status, body=response.text)
    try:
        answer = response.json()
    except ValueError:
        raise TransientError(_("DingTalk answered without JSON."), status=status, body=response.text) from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        message = _("DingTalk errcode %(errcode)s: %(errmsg)s") % {"errcode": errcode, "errmsg": errmsg}
        error = PermanentError if errcode in DINGTALK_PERMANENT_ERRCODES else TransientError
        raise error(message, status=status, body=response.text)
    return response
