"""Cursors are opaque, and anything but a cursor we issued is a 422 cursor_invalid, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sme_common.errors import InvalidInput
from sme_common.ids import USCC_SHAPE, make_uscc
from sme_common.pagination import (
    MAX_POSITION,
    KeyCursor,
    PositionCursor,
    encode_cursor,
    split_page,
)

KEYS = KeyCursor(USCC_SHAPE)
POSITIONS = PositionCursor()


def raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def test_a_cursor_reads_back_as_the_key_or_position_it_was_made_from() -> None:
    uscc = make_uscc(region="620102", body="MA000001")
    assert KEYS.after(KEYS.encode(uscc)) == uscc
    assert POSITIONS.after(POSITIONS.encode(MAX_POSITION)) == MAX_POSITION
    assert (KEYS.after(None), POSITIONS.after(None)) == (None, 0)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%%%",
        "é",
        "eyJ1Ijo",  # a cut-off cursor
        raw([1]),
        raw("u"),
        raw({"x": 1}),
        raw({"u": 5}),
        raw({"u": "not-a-uscc"}),
        raw({"p": "1"}),
        raw({"p": 1.5}),
        raw({"p": True}),
        raw({"p": -1}),
        raw({"p": MAX_POSITION + 1}),
    ],
)
def test_what_we_did_not_issue_is_cursor_invalid(cursor: str) -> None:
    for reader in (KEYS.after, POSITIONS.after):
        with pytest.raises(InvalidInput) as refused:
            reader(cursor)
        assert (refused.value.code, refused.value.status, refused.value.field) == (
            "cursor_invalid",
            422,
            "cursor",
        )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("upx"), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(cursor=st.text(max_size=200) | JSON.map(raw))
def test_any_text_is_read_as_a_cursor_or_refused_as_cursor_invalid(cursor: str) -> None:
    for reader in (KEYS.after, POSITIONS.after):
        try:
            reader(cursor)
        except InvalidInput as exc:
            assert exc.code == "cursor_invalid"


def test_cursors_are_compact_url_safe_json() -> None:
    cursor = encode_cursor({"p": 42})
    assert base64.urlsafe_b64decode(cursor) == b'{"p":42}'


def test_a_page_read_with_one_row_more_says_where_the_next_begins() -> None:
    assert split_page([1, 2, 3], 2) == ([1, 2], 2)
    assert split_page([1, 2], 2) == ([1, 2], None)
    assert split_page([], 2) == ([], None)
