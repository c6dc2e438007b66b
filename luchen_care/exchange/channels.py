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
import smtplib
import time

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
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
    "sms": ("SMS_GATEWAY_URL", "SMS_GATEWAY_SECRET"),
}
# Everything a county may set of its own SMS gateway (its bureau's account and 签名).
SMS_SETTINGS = ("SMS_GATEWAY_URL", "SMS_GATEWAY_KEY", "SMS_GATEWAY_SECRET", "SMS_SIGN_NAME")


def channel_settings(names, destination="") -> dict:
    """The values of the settings ``names`` (one channel's) for ``destination``, by the rule of ``endpoint``."""
    counties = settings.COUNTY_CHANNELS
    own = counties.get(destination, {}) if destination else {}
    if any(name in own for name in names):
        return {name: own.get(name, "") for name in names}
    if not destination or not counties or destination in settings.DEFAULT_CHANNEL_COUNTIES:
        return {name: getattr(settings, name) for name in names}
    return dict.fromkeys(names, "")


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

    The SMS gateway follows the same rule over all of ``SMS_SETTINGS`` (``sms_gateway``); e-mail
    has one SMTP relay for the whole deployment (``email_configured``).
    """
    names = SMS_SETTINGS if channel == "sms" else ENDPOINT_SETTINGS[channel]
    values = channel_settings(names, destination)
    url_name, secret_name = ENDPOINT_SETTINGS[channel]
    return values[url_name], values[secret_name]


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


# --- Notices to people: e-mail and SMS ------------------------------------------------------

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def email_configured() -> bool:
    """E-mail is on when ``EMAIL_HOST`` is set; one SMTP relay serves the whole deployment."""
    return bool(settings.EMAIL_HOST)


def sms_gateway(destination="") -> dict:
    """The SMS gateway's ``SMS_SETTINGS`` for ``destination`` (a county's code), by ``endpoint``'s rule."""
    return channel_settings(SMS_SETTINGS, destination)


def sms_configured(destination="") -> bool:
    return bool(sms_gateway(destination)["SMS_GATEWAY_URL"])


def _smtp_error(exc):
    """What an SMTP failure means for a retry: a 5xx reply (a refused recipient, sender or
    message, failed authentication) is permanent; a 4xx reply, a dropped or refused connection
    and a timeout are transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
        detail = "; ".join(
            f"{code} {message.decode('utf-8', 'replace') if isinstance(message, bytes) else message}"
            for code, message in exc.recipients.values()
        )
        message = _("The mail server refused the recipient: %(detail)s") % {"detail": detail}
        error = PermanentError if codes and all(code >= 500 for code in codes) else TransientError
        return error(message, status=max(codes) if codes else None)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        message = _("The mail server answered %(code)s: %(text)s") % {"code": exc.smtp_code, "text": text}
        error = PermanentError if exc.smtp_code >= 500 else TransientError
        return error(message, status=exc.smtp_code)
    if isinstance(exc, smtplib.SMTPException) and not isinstance(exc, smtplib.SMTPServerDisconnected):
        # Anything else smtplib raises (STARTTLS not offered, no common authentication method…)
        # is the configuration's: a person must look.
        return PermanentError(_("Mail error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"})
    # A dropped connection, a refused one, a timeout (smtplib's exceptions are OSErrors too).
    return TransientError(_("Mail server unreachable: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"})


def email_send(*, to: str, subject: str, text: str, message_id=None):
    """Send one plain-text e-mail (UTF-8) through the SMTP relay of ``EMAIL_HOST``.

    Returns once the server accepted it; raises ``TransientError`` / ``PermanentError`` as
    ``_smtp_error`` judges the failure. Always SMTP, whatever ``EMAIL_BACKEND`` says.
    """
    if not email_configured():
        raise PermanentError(_("EMAIL_HOST is not configured."))
    connection = get_connection(
        SMTP_BACKEND,
        host=settings.EMAIL_HOST,
        port=settings.EMAIL_PORT,
        username=settings.EMAIL_HOST_USER or None,
        password=settings.EMAIL_HOST_PASSWORD or None,
        use_tls=settings.EMAIL_USE_TLS,
        use_ssl=settings.EMAIL_USE_SSL,
        timeout=settings.EMAIL_TIMEOUT,
        fail_silently=False,
    )
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMessage(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        connection=connection,
    )
    try:
        message.send()
    except OSError as exc:  # smtplib.SMTPException included
        raise _smtp_error(exc) from exc


SMS_OK_CODES = frozenset({"OK", "0", 0})  # the gateway's ``code`` for a message it accepted


def sms_document(*, phone, text, sign_name, request_id, template_code="", timestamp=None) -> dict:
    """The JSON the SMS gateway gets (see ``sms_post``)."""
    document = {
        "phone": phone,
        "sign_name": sign_name,
        "text": text,
        "request_id": request_id,
        "timestamp": int(time.time()) if timestamp is None else timestamp,
    }
    if template_code:
        document["template_code"] = template_code
    return document


def sms_post(*, phone: str, text: str, request_id: str, destination="", timeout=None):
    """Send one SMS through the HTTP gateway of ``destination`` (``sms_gateway``).

    The request: ``POST SMS_GATEWAY_URL`` with the UTF-8 JSON ``{"phone", "sign_name", "text",
    "request_id", "timestamp", ["template_code"]}`` (compact, keys sorted), headers
    ``X-Api-Key: SMS_GATEWAY_KEY``, ``X-Signature: sha256=<HMAC-SHA256 of the body with
    SMS_GATEWAY_SECRET>`` (``signature.sign``) and ``Idempotency-Key: <request_id>`` (the same on
    every attempt, so the gateway can drop a repeat). The answer is judged as the webhook's:
    2xx with JSON ``code`` (or ``Code``) "OK" or 0 is delivered; 5xx, 408, 429, a network error,
    a timeout or a 2xx without JSON is transient; any other status, or a ``code`` that refuses
    the message, is permanent. Returns the response.
    """
    gateway = sms_gateway(destination)
    url, key, secret = gateway["SMS_GATEWAY_URL"], gateway["SMS_GATEWAY_KEY"], gateway["SMS_GATEWAY_SECRET"]
    if not url:
        raise PermanentError(_("SMS_GATEWAY_URL is not configured."))
    if not secret:
        raise PermanentError(_("SMS_GATEWAY_SECRET is not configured: refusing to send unsigned messages."))
    document = sms_document(
        phone=phone,
        text=text,
        sign_name=gateway["SMS_SIGN_NAME"],
        request_id=request_id,
        template_code=settings.SMS_TEMPLATE_CODE,
    )
    body = to_bytes(document)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Api-Key": key,
        "X-Signature": sign(body, secret),
        "Idempotency-Key": request_id,
    }
    response = _post(url, body=body, headers=headers, timeout=timeout or settings.SMS_GATEWAY_TIMEOUT)
    status = response.status_code
    message = _("HTTP %(status)s from the SMS gateway") % {"status": status}
    if status >= 500 or status in RETRIED_CLIENT_STATUSES:
        raise TransientError(message, status=status, body=response.text)
    if not 200 <= status < 300:
        raise PermanentError(message, status=status, body=response.text)
    try:
        answer = response.json()
    except ValueError:
        raise TransientError(_("The SMS gateway answered without JSON."), status=status, body=response.text) from None
    code = answer.get("code", answer.get("Code")) if isinstance(answer, dict) else None
    if code not in SMS_OK_CODES:
        detail = ""
        if isinstance(answer, dict):
            detail = answer.get("message", answer.get("Message", ""))
        raise PermanentError(
            _("The SMS gateway refused the message: %(code)s %(message)s") % {"code": code, "message": detail},
            status=status,
            body=response.text,
        )
    return response
