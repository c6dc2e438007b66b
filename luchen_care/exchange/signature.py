"""Signatures of the registration push, for both ends. Standard library only.

The health bureau's side may copy this one file: it imports nothing from Django or
from the rest of the platform.

Webhook (``X-Signature`` header)::

    X-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw request body, keyed with the shared secret>

Verify the bytes exactly as received, before any JSON parsing or re-serialising.

DingTalk custom robot (钉钉自定义机器人, "加签")::

    sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}")))
    POST <webhook>&timestamp=<timestamp_ms>&sign=<sign>

Command line (exit status 0 valid, 1 invalid, 2 usage)::

    python -m luchen_care.exchange.signature verify --secret S --signature "sha256=…" < body.json
    python -m luchen_care.exchange.signature sign --secret S < body.json

``--secret`` may be left out; the secret is then read from ``HEALTH_BUREAU_PUSH_SECRET``
(so that it stays out of the shell history).
"""

import argparse
import base64
import hashlib
import hmac
import os
import sys
import time
import urllib.parse

SCHEME = "sha256="


def _key(secret) -> bytes:
    if isinstance(secret, bytes):
        return secret
    return str(secret).encode("utf-8")


def sign(body: bytes, secret) -> str:
    """The ``X-Signature`` header value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    if not isinstance(body, bytes | bytearray):
        raise TypeError("sign() needs the raw body as bytes, exactly as sent")
    return SCHEME + hmac.new(_key(secret), bytes(body), hashlib.sha256).hexdigest()


def verify(body: bytes, signature_header: str, secret) -> bool:
    """Whether ``signature_header`` is the signature of ``body`` with ``secret``.

    Compares in constant time. An empty secret or header, another scheme than
    ``sha256=``, or a malformed value is never valid.
    """
    if not secret or not signature_header or not isinstance(body, bytes | bytearray):
        return False
    header = signature_header.strip()
    if header[: len(SCHEME)].lower() != SCHEME:
        return False
    received = header[len(SCHEME) :].strip().lower().encode("ascii", "replace")
    expected = sign(body, secret)[len(SCHEME) :].encode("ascii")
    return hmac.compare_digest(expected, received)


def dingtalk_signature(timestamp_ms: int, secret) -> str:
    """DingTalk's ``sign`` before URL encoding: base64 of HMAC-SHA256(secret, "<timestamp>\\n<secret>")."""
    secret_text = secret.decode("utf-8") if isinstance(secret, bytes) else str(secret)
    message = f"{timestamp_ms}\n{secret_text}".encode()
    digest = hmac.new(secret_text.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def dingtalk_signed_url(webhook_url: str, secret, timestamp_ms: int | None = None) -> str:
    """``webhook_url`` with ``timestamp`` and URL-encoded ``sign`` appended, as DingTalk specifies."""
    if timestamp_ms is None:
        timestamp_ms = int(time.time() * 1000)
    sign_param = urllib.parse.quote_plus(dingtalk_signature(timestamp_ms, secret))
    separator = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{separator}timestamp={timestamp_ms}&sign={sign_param}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m luchen_care.exchange.signature",
        description="Sign or verify a Lucheng Care registration push body (read from standard input).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify_parser = commands.add_parser("verify", help="check an X-Signature header against the body")
    verify_parser.add_argument("--signature", required=True, help='the X-Signature header, e.g. "sha256=ab12…"')
    sign_parser = commands.add_parser("sign", help="print the X-Signature header for the body")
    for sub in (verify_parser, sign_parser):
        sub.add_argument("--secret", help="the shared secret (default: $HEALTH_BUREAU_PUSH_SECRET)")
    args = parser.parse_args(argv)

    secret = args.secret if args.secret is not None else os.environ.get("HEALTH_BUREAU_PUSH_SECRET", "")
    if not secret:
        parser.error("no secret: pass --secret or set HEALTH_BUREAU_PUSH_SECRET")
    body = sys.stdin.buffer.read()

    if args.command == "sign":
        print(sign(body, secret))
        return 0
    if verify(body, args.signature, secret):
        print(f"valid: the signature matches the {len(body)}-byte body")
        return 0
    print(
        f"INVALID: the signature does not match the {len(body)}-byte body with this secret "
        "(check that the body is byte-for-byte as received, and the secret)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
