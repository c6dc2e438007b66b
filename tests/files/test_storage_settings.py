"""The uploads' storage is chosen by environment: local disk under MEDIA_ROOT/uploads/ by default,
an S3-compatible bucket with UPLOADS_STORAGE=s3. Each case runs in a fresh interpreter (settings
are read once at start-up), as tests/test_settings.py does."""

import json

from tests.test_settings import production_env, run

PRINT_STORAGE = """
import json, django
django.setup()
from django.conf import settings
from luchen_care.files.models import StoredFile
storage = StoredFile._meta.get_field("file").storage
storage._setup()
wrapped = storage._wrapped
print(json.dumps({
    "backend": settings.STORAGES["uploads"]["BACKEND"],
    "class": f"{type(wrapped).__module__}.{type(wrapped).__name__}",
    "location": str(getattr(wrapped, "location", "")),
    "bucket": getattr(wrapped, "bucket_name", None),
    "endpoint": getattr(wrapped, "endpoint_url", None),
    "region": getattr(wrapped, "region_name", None),
    "access_key": getattr(wrapped, "access_key", None),
    "querystring_auth": getattr(wrapped, "querystring_auth", None),
    "file_overwrite": getattr(wrapped, "file_overwrite", None),
    "max_bytes": settings.UPLOAD_MAX_BYTES,
}))
"""

S3 = {
    "UPLOADS_STORAGE": "s3",
    "UPLOADS_S3_BUCKET": "lucheng-uploads",
    "UPLOADS_S3_ENDPOINT_URL": "https://oss.example.gov.cn",
    "UPLOADS_S3_REGION": "cn-east-1",
    "UPLOADS_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "UPLOADS_S3_SECRET_ACCESS_KEY": "secret-example",
}


def storage_with(**env):
    result = run(["-c", PRINT_STORAGE], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_by_default_uploads_are_kept_under_the_media_folder(tmp_path):
    values = storage_with(DJANGO_MEDIA_ROOT=str(tmp_path / "media"))

    assert values["class"] == "luchen_care.files.storage.UploadsFileSystemStorage"
    assert values["location"] == str(tmp_path / "media" / "uploads")  # what scripts/backup archives
    assert values["max_bytes"] == 10 * 1024 * 1024


def test_s3_is_chosen_by_environment():
    values = storage_with(**production_env(), **S3, UPLOAD_MAX_BYTES="5242880")

    assert values["backend"] == values["class"] == "storages.backends.s3.S3Storage"
    assert values["bucket"] == "lucheng-uploads"
    assert values["endpoint"] == "https://oss.example.gov.cn"
    assert values["region"] == "cn-east-1" and values["access_key"] == "AKIDEXAMPLE"
    assert values["querystring_auth"] is True and values["file_overwrite"] is False
    assert values["max_bytes"] == 5 * 1024 * 1024


def test_s3_without_a_bucket_refuses_to_start():
    result = run(["manage.py", "check"], UPLOADS_STORAGE="s3")
    assert result.returncode != 0 and "UPLOADS_S3_BUCKET" in result.stderr


def test_an_unknown_storage_refuses_to_start():
    result = run(["manage.py", "check"], UPLOADS_STORAGE="ftp")
    assert result.returncode != 0 and "UPLOADS_STORAGE must be local or s3" in result.stderr


def test_production_with_s3_passes_the_deploy_check():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env(), **S3)
    assert result.returncode == 0, result.stdout + result.stderr
