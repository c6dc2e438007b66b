"""The public verification page and the codes it checks: genuine, forged, malformed, guessed at speed."""

import re

import pytest
from django.urls import reverse

from luchen_care.documents.codes import ALPHABET, LENGTH, code_display, code_new, code_normalize
from luchen_care.documents.layout import Document
from luchen_care.documents.services import DocumentKind, document_issue
from luchen_care.regions.models import County

pytestmark = pytest.mark.django_db

KIND = DocumentKind("tests.sample_decision", "测试决定书")


@pytest.fixture
def issued():
    county = County.objects.get(code="330302")
    document = Document(title="行政处理决定书").paragraph("经查，该机构存在下列问题。").fields([("法定代表人", "张*")])
    return document_issue(
        actor=None,
        kind=KIND,
        county=county,
        subject=county,
        document=document,
        number="鹿卫决〔2026〕7号",
        institution="鹿城区小太阳托育园",
    )


def page(response):
    return response.content.decode()


# --- codes -----------------------------------------------------------------------------------------


def test_codes_are_sixteen_crockford_characters_from_the_system_random_source():
    codes = [code_new() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    # 32 symbols, 80 bits: every symbol is used, in every position, with nothing to predict.
    assert set("".join(codes)) == set(ALPHABET)
    assert all(len({code[i] for code in codes}) == 32 for i in range(LENGTH))
    assert not set("ILOU") & set("".join(codes))
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code_display(codes[0]))


def test_a_code_is_read_back_as_people_type_it():
    code = "7K3M9QXA2B4RD8WZ"
    assert code_normalize("7k3m-9qxa-2b4r-d8wz") == code
    assert code_normalize(" 7K3M 9QXA　2B4R D8WZ ") == code
    assert code_normalize("1IL0O" + "A" * 11) == "11100" + "A" * 11  # I and L read as 1, O as 0
    assert code_normalize("7K3M-9QXA-2B4R-D8W") is None  # too short
    assert code_normalize("7K3M-9QXA-2B4R-D8WU") is None  # U is not in the alphabet
    assert code_normalize("鹿城托育") is None


def test_every_document_gets_its_own_code(issued):
    county = County.objects.get(code="330302")
    codes = {issued.code}
    for _ in range(10):
        again = document_issue(actor=None, kind=KIND, county=county, subject=county, document=Document(title="决定书"))
        codes.add(again.code)
    assert len(codes) == 11


# --- the page --------------------------------------------------------------------------------------


def test_a_genuine_code_shows_the_public_summary_and_the_hash(client, issued):
    response = client.get(reverse("documents:verify", args=[issued.code]))
    assert response.status_code == 200
    text = page(response)
    assert "核验通过：此文书由本平台签发" in text
    for value in ("测试决定书", "行政处理决定书", "鹿卫决〔2026〕7号", "温州市鹿城区卫生健康局", "鹿城区小太阳托育园"):
        assert value in text
    assert issued.public_summary["issued_on"] in text
    assert issued.display_code in text and issued.sha256 in text
    # What the document prints about a person stays off the public page, masked or not.
    assert "法定代表人" not in text and "张*" not in text
    assert response["X-Robots-Tag"] == "noindex"


def test_the_code_as_typed_leads_to_its_page(client, issued):
    typed = code_display(issued.code).lower()
    response = client.get(reverse("documents:verify", args=[typed]))
    assert response.status_code == 302 and response["Location"] == reverse("documents:verify", args=[issued.code])
    response = client.get(reverse("documents:verify-form"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("documents:verify", args=[issued.code])


def test_a_forged_code_is_refused_in_chinese(client, issued):
    forged = issued.code[:-1] + ("A" if issued.code[-1] != "A" else "B")
    response = client.get(reverse("documents:verify", args=[forged]))
    assert response.status_code == 404
    text = page(response)
    assert "未找到该核验码对应的文书" in text and "请勿采信" in text
    assert code_display(forged) in text
    assert "行政处理决定书" not in text and issued.sha256 not in text


def test_a_malformed_code_is_named_as_such(client):
    response = client.get(reverse("documents:verify", args=["12345"]))
    assert response.status_code == 400
    assert "这不是有效的核验码" in page(response)
    response = client.get(reverse("documents:verify-form"), {"code": "不是核验码"})
    assert response.status_code == 400
    text = page(response)
    assert "这不是有效的核验码：核验码由 16 位字母和数字组成" in text and 'class="errorlist"' in text


def test_the_form_page_asks_for_a_code(client):
    response = client.get(reverse("documents:verify-form"))
    assert response.status_code == 200
    text = page(response)
    assert "文书核验" in text and 'name="code"' in text


def test_guessing_at_speed_is_stopped_per_address(client, issued, settings):
    settings.DOCUMENTS_VERIFY_RATE = (3, 600)
    for _ in range(3):
        assert client.get(reverse("documents:verify", args=[code_new()])).status_code == 404
    refused = client.get(reverse("documents:verify", args=[issued.code]))
    assert refused.status_code == 429
    assert "核验次数过多，请 10 分钟后再试" in page(refused)
    assert issued.sha256 not in page(refused)
    # Another address is not held back by this one's guesses.
    other = client.get(reverse("documents:verify", args=[issued.code]), REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200
