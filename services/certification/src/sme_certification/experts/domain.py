"""Expert assignment and scoring (pure).

Experts are drawn at random (``secrets.SystemRandom``: not predictable from earlier draws) from the
province's active pool, excluding (回避) any expert whose home county is the applicant's county
(for an enterprise registered at 市州 level, its 市州) and any who declared a conflict with the
applicant's USCC. Each expert scores blind (never sees another's score). Once all have scored, the
application's expert score is the arithmetic mean, rounded half up to 2 decimals.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sme_common.rules import RuleViolation

SCORE_PLACES = Decimal("0.01")
MAX_SCORE = Decimal(100)
_RANDOM = secrets.SystemRandom()


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    home_region_code: str
    conflicts: frozenset[str]


def eligible(candidates: Sequence[Candidate], *, region_code: str, uscc: str) -> list[Candidate]:
    return [c for c in candidates if c.home_region_code != region_code and uscc not in c.conflicts]


def draw(candidates: Sequence[Candidate], *, region_code: str, uscc: str, count: int) -> list[str]:
    """``count`` distinct eligible experts at random; 422 ``experts_too_few`` when there are fewer."""
    pool = eligible(candidates, region_code=region_code, uscc=uscc)
    if len(pool) < count:
        raise RuleViolation(
            "experts_too_few",
            f"{count} experts are needed but only {len(pool)} of the pool are eligible "
            f"(not from the applicant's county, no declared conflict)",
            f"需要 {count} 名专家，但符合回避要求的专家只有 {len(pool)} 名",
            field="count",
        )
    return [c.id for c in _RANDOM.sample(pool, count)]


def overall_score(score: Decimal | None, criteria: dict[str, Decimal] | None) -> Decimal:
    """An overall score, or the sum of the scores by criterion (exactly one of them)."""
    if (score is None) == (criteria is None):
        raise RuleViolation(
            "score_or_criteria",
            "Give either an overall score or scores by criterion",
            "请给出总分或分项得分（二者选一）",
            field="score",
        )
    total = score if score is not None else sum((criteria or {}).values(), Decimal(0))
    if not Decimal(0) <= total <= MAX_SCORE:
        raise RuleViolation(
            "score_out_of_range",
            f"A score is between 0 and 100, not {total}",
            "评分须在0至100分之间",
            field="score" if score is not None else "criteria_scores",
        )
    return total.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def mean_score(scores: Sequence[Decimal]) -> Decimal:
    """The mean of the experts' scores, rounded half up to 2 decimals (86.333… → 86.33)."""
    if not scores:
        raise ValueError("no scores")
    return (sum(scores, Decimal(0)) / len(scores)).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
