"""Uploads on S3-compatible object storage, for real: a moto S3 server on loopback stands in for the
provider's bucket, and the platform's own storage (django-storages' S3Storage, as UPLOADS_STORAGE=s3
configures it), service and download view run against it over HTTP."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from luchen_care.files.models import StoredFile
from luchen_care.files.services import stored_file_save

from .samples import ELF, pdf_bytes, stored_paths, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
BUCKET = "lucheng-uploads-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the moto S3 server did not start")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=BUCKET)
    # The same OPTIONS luchen_care/settings.py builds for UPLOADS_STORAGE=s3.
    settings.STORAGES = {
        **settings.STORAGES,
        "uploads": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "location": "uploads",
                "addressing_style": "path",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_an_upload_is_kept_in_the_bucket_and_downloaded_through_the_view(bucket, owner, institution, client, media):
    data = pdf_bytes("S3-MARKER")
    stored = stored_file_save(
        actor=owner, subject=institution, purpose="registry.business_licence", upload=upload("营业执照.pdf", data)
    )

    (key,) = keys(bucket)
    assert key == f"uploads/{stored.file.name}" and key.endswith(".pdf") and "营业执照" not in key
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == data
    assert stored_paths(media) == []  # nothing on the local disk
    client.force_login(owner)
    response = client.get(reverse("files:download", args=[stored.public_id]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"


def test_a_refused_upload_puts_nothing_in_the_bucket(bucket, owner, institution):
    with pytest.raises(ValidationError):
        stored_file_save(actor=owner, subject=institution, purpose="registry.other", upload=upload("a.pdf", ELF))
    assert keys(bucket) == [] and not StoredFile.objects.exists()


def test_replacing_keeps_both_objects(bucket, owner, institution):
    old = stored_file_save(
        actor=owner, subject=institution, purpose="registry.other", upload=upload("a.pdf", pdf_bytes("1"))
    )
    stored_file_save(
        actor=owner, subject=institution, purpose="registry.other", upload=upload("b.pdf", pdf_bytes("2")), replaces=old
    )
    assert len(keys(bucket)) == 2
