"""A form posted after the session expired is kept only when it came from a form the platform
rendered in this browser (its CSRF token), never a password, and is submitted again only by the user."""

import pytest
from django.test import Client

from luchen_care.core.resubmit import SESSION_KEY

pytestmark = pytest.mark.django_db

FORM = "/admin/registry/institution/add/"


def test_a_post_without_this_browsers_csrf_token_is_not_kept():
    client = Client(enforce_csrf_checks=True)
    response = client.post(FORM, {"name": "别处网站的表单"})
    assert response.status_code in (302, 403)
    assert SESSION_KEY not in client.session


def test_a_post_with_the_token_is_kept_without_its_passwords_and_sent_to_the_login():
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")  # the login page sets this browser's CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(FORM, {"csrfmiddlewaretoken": token, "name": "超时后提交的机构", "password": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")
    kept = client.session[SESSION_KEY]
    assert kept["path"] == FORM and kept["fields"] == [["name", "超时后提交的机构"]]


def test_a_portal_page_behind_the_sign_in_keeps_an_expired_post_too(django_user_model):
    from luchen_care.accounts.models import Role
    from tests.factories import InstitutionFactory

    django_user_model.objects.create_user(
        username="jigou", password="Portal-test-2026!", role=Role.INSTITUTION, institution=InstitutionFactory()
    )
    client = Client(enforce_csrf_checks=True)
    client.get("/portal/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/portal/", {"csrfmiddlewaretoken": token, "note": "断网前填写的内容"})
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/?next=")
    assert client.session[SESSION_KEY]["fields"] == [["note", "断网前填写的内容"]]
    token = client.cookies["csrftoken"].value
    signed_in = client.post(
        "/portal/login/",
        {"csrfmiddlewaretoken": token, "username": "jigou", "password": "Portal-test-2026!", "next": "/portal/"},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/portal/"
    page = client.get("/portal/").content.decode()
    assert 'id="kept-post"' in page and "断网前填写的内容" in page


def test_the_portal_sign_in_itself_is_never_kept():
    client = Client(enforce_csrf_checks=True)
    client.get("/portal/login/")
    token = client.cookies["csrftoken"].value
    response = client.post("/portal/login/", {"csrfmiddlewaretoken": token, "username": "x", "password": "y"})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_a_new_password_a_link_token_or_a_code_is_never_kept():
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")
    token = client.cookies["csrftoken"].value
    secrets = {"new_password1": "Xin-mima-2026!", "new_password2": "Xin-mima-2026!", "token": "t0k3n", "code": "123456"}
    response = client.post(FORM, {"csrfmiddlewaretoken": token, "name": "超时后提交的机构", **secrets})
    assert response.status_code == 302
    assert client.session[SESSION_KEY]["fields"] == [["name", "超时后提交的机构"]]


def test_a_page_whose_every_field_is_sensitive_keeps_nothing():
    """My account's password change (``sensitive_post_parameters()``): after the session expired, its
    input is dropped, never kept in the session."""
    client = Client(enforce_csrf_checks=True)
    client.get("/portal/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/portal/account/",
        {"csrfmiddlewaretoken": token, "old_password": "a", "new_password1": "Xin-2026!", "nickname": "x"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/portal/login/?next=")
    assert SESSION_KEY not in client.session
