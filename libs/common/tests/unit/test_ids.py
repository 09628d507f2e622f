"""USCC validation per GB 32100-2015, including the embedded GB 11714 check and letter-led codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from sme_common.ids import (
    USCC_CHARSET,
    UsccError,
    is_valid_uscc,
    make_uscc,
    org_code_check_character,
    uscc_from_serial,
    validate_uscc,
)


def test_known_good_code_from_the_standard_examples_is_valid() -> None:
    assert validate_uscc("91110000600037341L") == "91110000600037341L"


def test_input_is_normalised_before_validation() -> None:
    assert validate_uscc(" 9111 0000-6000 3734 1l ") == "91110000600037341L"


def test_wrong_check_character_names_the_expected_one() -> None:
    with pytest.raises(UsccError) as error:
        validate_uscc("91110000600037341M")
    assert error.value.reason == "check_character"
    assert error.value.detail == "check character should be 'L'"
    assert error.value.detail_zh == "统一社会信用代码校验位错误，应为 L"


def test_wrong_embedded_organisation_code_check_is_caught_even_with_a_right_final_check() -> None:
    # 60003734 → organisation check '1'; put '2' there and recompute the final character.
    assert org_code_check_character("60003734") == "1"
    from sme_common.ids import uscc_check_character

    first17 = "9111000060003734" + "2"
    code = first17 + uscc_check_character(first17)
    with pytest.raises(UsccError) as error:
        validate_uscc(code)
    assert error.value.reason == "org_code_check"
    assert stdnum_uscc.is_valid(code), "stdnum does not check the embedded organisation code"


@pytest.mark.parametrize(
    ("authority", "entity_type"), [("N", "2"), ("Y", "1"), ("A", "1"), ("N", "3"), ("5", "1")]
)
def test_letter_led_codes_are_valid_though_stdnum_rejects_them(
    authority: str, entity_type: str
) -> None:
    code = make_uscc(authority=authority, entity_type=entity_type, region="620100", body="MA000001")
    assert validate_uscc(code) == code
    if not authority.isdigit():
        assert not stdnum_uscc.is_valid(code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9111000060003734", "length"),
        ("91110000600037341LX", "length"),
        ("9111000060003734IL", "character"),
        ("9111000060003734OL", "character"),
        ("B1110000600037341L", "authority"),
        ("94110000600037341L", "entity_type"),
        ("Y2110000600037341L", "entity_type"),
        ("911A0000600037341L", "region"),
    ],
)
def test_malformed_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(UsccError) as error:
        validate_uscc(code)
    assert error.value.reason == reason
    assert error.value.detail and error.value.detail_zh


def test_organisation_check_maps_ten_to_x_and_eleven_to_zero() -> None:
    checks = {org_code_check_character(f"{n:08d}") for n in range(2000)}
    assert "X" in checks and "0" in checks


bodies = st.text(alphabet=USCC_CHARSET, min_size=8, max_size=8)


@given(bodies, st.sampled_from(["620100", "620102", "520100", "420100"]))
def test_every_made_code_validates(body: str, region: str) -> None:
    assert is_valid_uscc(make_uscc(region=region, body=body))


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_CHARSET))
def test_changing_any_single_character_makes_a_code_invalid(
    body: str, position: int, replacement: str
) -> None:
    code = make_uscc(body=body)
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_uscc(changed)


def test_serials_give_distinct_valid_codes() -> None:
    codes = {uscc_from_serial(n) for n in range(1000)}
    assert len(codes) == 1000
    assert all(is_valid_uscc(c) for c in codes)
