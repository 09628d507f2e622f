"""``python -m sme_<service> audit verify``: recompute the chain and say where it breaks.

Each record must sit at the next position, name the previous record's hash, and hash to its own
``hash`` (sha256 of ``prev_hash`` followed by ``audit_canonical(record)``). An edit breaks the last
rule at the edited record; a deletion breaks the first (or, in the middle, the second) at the next
one; a reordering breaks the hash of the moved records. Deleting the newest records leaves a valid
shorter chain: keep the printed head elsewhere and pass it back with ``--expect-head``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from sme_common.audit.migrations import GENESIS_HASH
from sme_common.db.engine import Database

_CHAIN = text(
    "SELECT r.position, r.prev_hash, r.hash, audit_canonical(r) AS canonical "
    "FROM audit_record r ORDER BY r.position"
)
# The total a progress bar counts towards (the primary key's index answers it).
_NEWEST = text("SELECT coalesce(max(position), 0) FROM audit_record")
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_position: int
    head_hash: str
    broken_at: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit chain OK: {self.checked} records checked; "
                f"head {self.head_position}:{self.head_hash}"
            )
        return (
            f"audit chain BROKEN at position {self.broken_at}: {self.reason} "
            f"({self.checked} records before it are intact)"
        )


async def verify_chain(
    database: Database,
    *,
    expect_head: tuple[int, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ChainReport:
    """Check the chain from its first record; ``progress(checked, newest position)`` is told every
    ``PROGRESS_EVERY`` records and at the end."""
    expected, previous, checked = 1, GENESIS_HASH, 0
    seen_expected_head = expect_head is None
    async with database.engine.connect() as connection:
        newest = int((await connection.execute(_NEWEST)).scalar_one())
        rows = await connection.stream(_CHAIN.execution_options(yield_per=2000))
        async for position, prev_hash, stored_hash, canonical in rows:
            if progress is not None and checked % PROGRESS_EVERY == 0:
                progress(checked, newest)
            reason = None
            if position != expected:
                reason = f"record {expected} is missing (next is {position}): records were deleted"
            elif prev_hash != previous:
                reason = (
                    "it does not follow the record before it: that one was edited, deleted or moved"
                )
            elif hashlib.sha256((prev_hash + canonical).encode()).hexdigest() != stored_hash:
                reason = "its content does not match its hash: the record was edited or moved"
            elif expect_head is not None and position == expect_head[0]:
                if stored_hash != expect_head[1]:
                    reason = "it is not the head kept earlier: the chain was rewritten"
                seen_expected_head = True
            if reason is not None:
                return ChainReport(checked, expected - 1, previous, expected, reason)
            expected, previous, checked = position + 1, stored_hash, checked + 1
    if not seen_expected_head:
        assert expect_head is not None
        return ChainReport(
            checked,
            expected - 1,
            previous,
            expected,
            f"the chain ends before the head kept earlier ({expect_head[0]}): "
            "the newest records were deleted",
        )
    if progress is not None:
        progress(checked, newest)
    return ChainReport(checked, expected - 1, previous)


def parse_head(value: str) -> tuple[int, str]:
    position, _, digest = value.partition(":")
    if not position.isdigit() or len(digest) != 64:
        raise ValueError("expected POSITION:SHA256 as printed by a previous verify")
    return int(position), digest
