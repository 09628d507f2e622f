import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sme_common.text import CleanText, TextError, clean_text, fold, normalize_code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("兰州\u200b示例", "text_format_character"),
        ("abc\u202etxt.exe", "text_format_character"),
        ("\ufeff兰州", "text_format_character"),
        ("兰州\x00示例", "text_control_character"),
        ("兰州\r\n示例", "text_control_character"),
        ("兰州\t示例", "text_control_character"),
    ],
)
def test_control_and_format_characters_are_refused(value: str, code: str) -> None:
    with pytest.raises(TextError) as caught:
        clean_text(value)
    assert caught.value.code == code
    assert "U+" in caught.value.detail and caught.value.detail_zh


def test_official_names_are_kept_as_written_in_nfc() -> None:
    assert clean_text(" 兰州示例（集团）有限公司 ") == "兰州示例（集团）有限公司"
    assert clean_text("Cafe\u0301") == "Café"


def test_full_width_and_half_width_brackets_fold_together() -> None:
    assert fold("兰州示例（集团）") == fold("兰州示例(集团)")
    assert fold("ＡＢＣ 公司") == fold("abc公司")


def test_codes_are_upper_case_and_half_width() -> None:
    assert normalize_code(" ９１６２０１０２ma0000015r ") == "91620102MA0000015R"


def test_pydantic_field_reports_the_stable_code() -> None:
    class Model(BaseModel):
        name: CleanText

    with pytest.raises(ValidationError) as caught:
        Model(name="兰州\u200b示例")
    assert caught.value.errors()[0]["type"] == "text_format_character"


@given(st.text())
def test_clean_text_never_returns_a_refused_character(value: str) -> None:
    try:
        cleaned = clean_text(value)
    except TextError:
        return
    assert clean_text(cleaned) == cleaned
