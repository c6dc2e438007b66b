"""The wire: one HTTP request per call, and what its answer means for a retry.

Each sender either returns (the other side has the message) or raises:
- ``TransientError``: worth trying again later (network error, timeout, 5xx, 408, 429,
  a DingTalk ``errcode`` other than 0);
- ``PermanentError``: trying again will not help (any other 3xx or 4xx); a person must look.
Both carry the response status and body, when there was a response, for the record.
"""

import json

import requests
from django.conf import settings

from .signature import dingtalk_signed_url, sign

USER_AGENT = "lucheng-care-push/1"
KEPT_BODY_CHARS = 4000
RETRIED_CLIENT_STATUSES = frozenset({408, 429})  # "try again later", even though they are 4xx


class DeliveryError(Exception):
    def __init__(self, message, *, status=None, body=""):
        super().__init__(message)
        self.status = status
        self.body = (body or "")[:KEPT_BODY_CHARS]


class TransientError(DeliveryError):
    pass


class PermanentError(DeliveryError):
    pass


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
        raise TransientError(f"{type(exc).__name__}: {exc}") from exc


def webhook_post(*, body: bytes, idempotency_key: str, url=None, secret=None, timeout=None):
    """POST ``body`` (already serialised; these bytes are signed) to the health bureau's endpoint.

    Returns the response on 2xx; raises ``TransientError`` / ``PermanentError`` otherwise.
    """
    url = url or settings.HEALTH_BUREAU_PUSH_URL
    secret = secret if secret is not None else settings.HEALTH_BUREAU_PUSH_SECRET
    if not url:
        raise PermanentError("HEALTH_BUREAU_PUSH_URL is not configured")
    if not secret:
        raise PermanentError("HEALTH_BUREAU_PUSH_SECRET is not configured: refusing to send unsigned data")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Signature": sign(body, secret),
        "Idempotency-Key": idempotency_key,
    }
    response = _post(url, body=body, headers=headers, timeout=timeout or settings.HEALTH_BUREAU_PUSH_TIMEOUT)
    status = response.status_code
    if 200 <= status < 300:
        return response
    message = f"HTTP {status} from the health bureau endpoint"
    if status >= 500 or status in RETRIED_CLIENT_STATUSES:
        raise TransientError(message, status=status, body=response.text)
    raise PermanentError(message, status=status, body=response.text)


def dingtalk_post(*, title: str, text: str, url=None, secret=None, timeout=None):
    """Send a markdown message through the DingTalk custom robot; signed when a secret is set.

    DingTalk answers HTTP 200 with ``{"errcode": 0}`` on success; any other errcode is an
    error (rate limit, keyword or signature mismatch…) and is retried like a 5xx.
    """
    url = url or settings.DINGTALK_WEBHOOK_URL
    secret = secret if secret is not None else settings.DINGTALK_SECRET
    if not url:
        raise PermanentError("DINGTALK_WEBHOOK_URL is not configured")
    if secret:
        url = dingtalk_signed_url(url, secret)
    body = json.dumps({"msgtype": "markdown", "markdown": {"title": title, "text": text}}, ensure_ascii=False)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = _post(
        url, body=body.encode("utf-8"), headers=headers, timeout=timeout or settings.HEALTH_BUREAU_PUSH_TIMEOUT
    )
    status = response.status_code
    if status >= 500 or status in RETRIED_CLIENT_STATUSES:
        raise TransientError(f"HTTP {status} from DingTalk", status=status, body=response.text)
    if not 200 <= status < 300:
        raise PermanentError(f"HTTP {status} from DingTalk", status=status, body=response.text)
    try:
        answer = response.json()
    except ValueError:
        raise TransientError("DingTalk answered without JSON", status=status, body=response.text) from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        errmsg = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise TransientError(f"DingTalk errcode {errcode}: {errmsg}", status=status, body=response.text)
    return response
