"""The one masking helper: names and phone numbers as a reader without the grant sees them."""

import pytest

from luchen_care.core.masking import mask_name, mask_phone


@pytest.mark.parametrize("name, shown", [("张三", "张*"), ("欧阳修文", "欧***"), ("", "")])
def test_a_name_keeps_its_first_character(name, shown):
    assert mask_name(name) == shown


@pytest.mark.parametrize(
    "phone, shown", [("13812345678", "138****5678"), ("0577-88888888", "0577****8888"), ("12345", "*****"), ("", "")]
)
def test_a_phone_keeps_its_head_and_last_four(phone, shown):
    assert mask_phone(phone) == shown
