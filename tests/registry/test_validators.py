import pytest
from django.core.exceptions import ValidationError

from registry.validators import uscc_check_character, validate_credit_code


def test_a_valid_code_starting_with_a_letter_is_accepted():
    body = "Y1330302MA2L7Q8N1"
    validate_credit_code(body + uscc_check_character(body))


def test_a_published_code_is_accepted():
    # Published on a business licence (Tencent, Shenzhen): a real-world check.
    validate_credit_code("9144030071526726XG")


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91330302MA2L7Q8N1", "18"),  # too short
        ("91330302MA2L7Q8NIZ", "ABCDEFGHJKLMNPQRTUWXY"),  # I and Z are not in the alphabet
    ],
)
def test_malformed_codes_say_what_is_wrong(code, fragment):
    with pytest.raises(ValidationError) as info:
        validate_credit_code(code)
    assert fragment in " ".join(info.value.messages)


def test_a_wrong_check_character_is_refused():
    body = "91330302MA2L7Q8N1"
    good = uscc_check_character(body)
    bad = "0" if good != "0" else "1"
    with pytest.raises(ValidationError) as info:
        validate_credit_code(body + bad)
    assert info.value.code == "credit_code_check"
