"""Cursor pagination (api-guidelines.md: ``?limit=&cursor=`` → ``{"items": […], "next_cursor"}``).

A cursor is opaque to callers: the base64url of a compact JSON object saying where the last page
ended, ``{"u": "<key>"}`` for keyset pages over a unique text key (a USCC) or ``{"p": 42}`` for a
position in a log (the change feed, the audit chain). It is read back strictly: anything that is not
base64, not JSON, not an object, lacks its member or holds one of the wrong type or range is a 422
``cursor_invalid``, never a guess, never a 500.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import Field

from sme_common.errors import InvalidInput

CURSOR_MAX_LENGTH = 200
MAX_POSITION = 2**63 - 1  # positions are PostgreSQL bigints
T = TypeVar("T")

CursorParameter = Annotated[
    str | None,
    Field(
        max_length=CURSOR_MAX_LENGTH,
        description="`next_cursor` of the previous page, unchanged; absent for the first page",
    ),
]
"""The ``cursor`` field of a query-parameter model."""


def cursor_invalid() -> InvalidInput:
    """A fresh error each time (an exception object keeps the traceback of where it was raised)."""
    return InvalidInput("cursor_invalid", "cursor is not one we issued", "游标无效", field="cursor")


def encode_cursor(payload: dict[str, str | int]) -> str:
    # orjson: compact, as before, and a tenth of the cost on every page (two per delta pull); a
    # key or value outside ASCII is now UTF-8 rather than escaped; decode_cursor reads both.
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The JSON object inside a cursor; anything else is ``cursor_invalid``."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except ValueError:  # binascii.Error, UnicodeError and JSONDecodeError are all ValueErrors
        value = None
    if not isinstance(value, dict):
        raise cursor_invalid()
    return value


@dataclass(frozen=True)
class KeyCursor:
    """Pages in ascending order of a unique text key; the cursor holds the last key sent, which
    must still have the key's shape (``pattern``) to be read back."""

    pattern: re.Pattern[str]
    member: str = "u"

    def encode(self, key: str) -> str:
        return encode_cursor({self.member: key})

    def after(self, cursor: str | None) -> str | None:
        """The last key of the previous page (None for the first page)."""
        if cursor is None:
            return None
        key = decode_cursor(cursor).get(self.member)
        if not isinstance(key, str) or not self.pattern.fullmatch(key):
            raise cursor_invalid()
        return key


@dataclass(frozen=True)
class PositionCursor:
    """Pages of a log in position order; the cursor holds the last position sent."""

    member: str = "p"

    def encode(self, position: int) -> str:
        return encode_cursor({self.member: position})

    def after(self, cursor: str | None) -> int:
        """The last position the caller saw (0 before the first)."""
        if cursor is None:
            return 0
        position = decode_cursor(cursor).get(self.member)
        # bool is an int in Python; floats and strings are not positions; nor is anything beyond
        # a bigint.
        if type(position) is not int or not 0 <= position <= MAX_POSITION:
            raise cursor_invalid()
        return position


def split_page(rows: Sequence[T], limit: int) -> tuple[Sequence[T], T | None]:
    """``rows`` read with ``LIMIT limit + 1``: the page, and its last row when another follows
    (the row the next cursor names)."""
    page = rows[:limit]
    return page, (page[-1] if len(rows) > limit and page else None)
