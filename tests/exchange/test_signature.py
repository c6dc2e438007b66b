"""The verification helper the health bureau uses: ``sign``/``verify``, DingTalk signing, and the CLI."""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from luchen_care.exchange.signature import dingtalk_signature, dingtalk_signed_url, sign, verify
from registry import payloads

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BODY = '{"schema":"lucheng-care.registration-push/v1","registration":{"institution":{"name":"鹿城托育"}}}'.encode()
SECRET = "s3cr3t"
DOCS = BASE_DIR / "docs" / "push.md"


def test_sign_is_hex_hmac_sha256_of_the_raw_body():
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == f"sha256={expected}"
    assert sign(BODY, SECRET.encode()) == sign(BODY, SECRET)


def test_the_worked_example_in_the_docs_holds():
    """docs/push.md's worked example: its body (the line after "Secret `s3cr3t`; body"), signed, gives its header."""
    lines = DOCS.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Secret `s3cr3t`; body"))
    body = next(line for line in lines[start + 1 :] if line.startswith("{")).encode()
    header = sign(body, SECRET)
    assert f"X-Signature: {header}" in lines
    assert f"the signature matches the {len(body)}-byte body" in DOCS.read_text()
    assert body == payloads.to_bytes(json.loads(body))  # it is what the platform sends


def test_the_dingtalk_example_in_the_docs_holds():
    url = dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", "SEC0123456789abcdef", 1700000000000
    )
    assert url.split("&")[-1] in DOCS.read_text()


def test_sign_refuses_text():
    with pytest.raises(TypeError):
        sign(BODY.decode(), SECRET)


def test_verify_accepts_the_right_signature_only():
    header = sign(BODY, SECRET)
    assert verify(BODY, header, SECRET)
    assert verify(BODY, "  " + header.upper().replace("SHA256=", "sha256=") + " ", SECRET)  # case and spaces
    assert verify(BODY, "SHA256=" + header[7:], SECRET)


@pytest.mark.parametrize(
    "body, header, secret",
    [
        (BODY + b" ", sign(BODY, SECRET), SECRET),  # the body changed by one byte
        (BODY, sign(BODY, SECRET), "other"),  # another secret
        (BODY, "sha256=" + "0" * 64, SECRET),  # forged
        (BODY, sign(BODY, SECRET)[7:], SECRET),  # no scheme
        (BODY, "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(), SECRET),  # another scheme
        (BODY, "sha256=" + sign(BODY, SECRET)[7:-2], SECRET),  # truncated
        (BODY, "sha256=鹿城", SECRET),  # not hex at all
        (BODY, "", SECRET),
        (BODY, None, SECRET),
        (BODY, sign(BODY, ""), ""),  # an empty secret proves nothing
        (BODY.decode(), sign(BODY, SECRET), SECRET),  # text, not the raw bytes
    ],
)
def test_verify_refuses(body, header, secret):
    assert verify(body, header, secret) is False


def test_dingtalk_signature_follows_dingtalk_documentation():
    timestamp, secret = 1700000000000, "SEC0123456789abcdef"
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert dingtalk_signature(timestamp, secret) == base64.b64encode(digest).decode()


def test_dingtalk_signed_url_appends_timestamp_and_urlencoded_sign():
    secret = "SEC0123456789abcdef"
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc", secret, 1700000000000)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert query["access_token"] == ["abc"]
    assert query["timestamp"] == ["1700000000000"]
    assert query["sign"] == [dingtalk_signature(1700000000000, secret)]
    assert url.endswith("&sign=" + quote_plus(dingtalk_signature(1700000000000, secret)))
    assert dingtalk_signed_url("http://127.0.0.1/robot", secret, 1).startswith("http://127.0.0.1/robot?timestamp=1&")


def run_cli(*args, body=BODY, env=None):
    return subprocess.run(
        [sys.executable, "-m", "luchen_care.exchange.signature", *args],
        input=body,
        capture_output=True,
        cwd=BASE_DIR,
        env={**os.environ, "HEALTH_BUREAU_PUSH_SECRET": "", **(env or {})},
        timeout=60,
    )


def test_cli_verify_exits_0_for_a_valid_signature():
    result = run_cli("verify", "--secret", SECRET, "--signature", sign(BODY, SECRET))
    assert result.returncode == 0, result.stderr
    assert b"valid" in result.stdout


def test_cli_verify_exits_1_for_a_forged_signature():
    result = run_cli("verify", "--secret", SECRET, "--signature", "sha256=" + "ab" * 32)
    assert result.returncode == 1
    assert b"INVALID" in result.stderr


def test_cli_reads_the_secret_from_the_environment_and_signs():
    result = run_cli("sign", env={"HEALTH_BUREAU_PUSH_SECRET": SECRET})
    assert result.returncode == 0
    assert result.stdout.decode().strip() == sign(BODY, SECRET)


def test_cli_without_a_secret_is_a_usage_error():
    result = run_cli("verify", "--signature", sign(BODY, SECRET))
    assert result.returncode == 2
    assert b"no secret" in result.stderr
