"""The approval chains file and the pure rules: tiers by amount (inclusive bound), the default
chain for a province without its own, a file that would leave amounts uncovered or name a role at
the wrong level refused on load, and maker ≠ checker."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from sme_funding.approvals.domain import (
    ApprovalAction,
    StepLevel,
    barred,
    load_chains,
    parse_chains,
    remarks_required,
)

WAN = 1_000_000
"""1万元 in fen."""


def raw_file() -> dict[str, Any]:
    text = (
        resources.files("sme_funding.approvals.data")
        .joinpath("approval-chains.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_chains_file_is_versioned_cites_its_basis_and_says_it_is_configuration() -> None:
    raw = raw_file()
    chains = load_chains()
    assert chains.version == raw["version"]
    assert chains.status == "configuration_unverified"
    assert raw["basis"]["sources"] and raw["basis"]["note"]


@pytest.mark.parametrize(
    ("province", "amount_fen", "positions"),
    [
        ("620000", 1, ["city", "province"]),
        ("620000", 50 * WAN, ["city", "province"]),
        ("620000", 50 * WAN + 1, ["city", "province", "province"]),
        ("420000", 30 * WAN, ["city", "province"]),  # no table of its own: the default
        ("420000", 500 * WAN, ["city", "province", "province"]),
    ],
)
def test_the_tier_follows_the_amount_with_an_inclusive_bound(
    province: str, amount_fen: int, positions: list[str]
) -> None:
    tier = load_chains().tier_for(province, amount_fen)
    assert [s.level.value for s in tier.steps] == positions
    assert [s.position for s in tier.steps] == list(range(1, len(positions) + 1))


def test_a_province_s_own_table_overrides_the_default() -> None:
    raw = raw_file()
    raw["provinces"]["520000"] = {
        "tiers": [
            {
                "code": "single",
                "up_to_fen": None,
                "steps": [
                    {
                        "role": "province_officer",
                        "level": "province",
                        "name_zh": "省级审批",
                        "name_en": "provincial approval",
                    }
                ],
            }
        ]
    }
    chains = parse_chains(raw)
    assert [s.level for s in chains.tier_for("520000", 900 * WAN).steps] == [StepLevel.PROVINCE]
    assert len(chains.tier_for("620000", 900 * WAN).steps) == 3


def _broken(change: str) -> dict[str, Any]:
    raw = copy.deepcopy(raw_file())
    tiers = raw["default"]["tiers"]
    if change == "bounded_last":
        tiers[-1]["up_to_fen"] = 100 * WAN
    elif change == "unordered":
        tiers.insert(1, {**tiers[0], "code": "lower", "up_to_fen": 10 * WAN})
    elif change == "role_at_wrong_level":
        tiers[0]["steps"][0]["role"] = "province_officer"
    elif change == "no_steps":
        tiers[0]["steps"] = []
    return raw


@pytest.mark.parametrize("change", ["bounded_last", "unordered", "role_at_wrong_level", "no_steps"])
def test_a_chains_file_that_leaves_a_gap_or_mixes_roles_is_refused(change: str) -> None:
    with pytest.raises(ValueError):
        parse_chains(_broken(change))


def test_maker_checker_bars_the_maker_and_takers_of_other_positions() -> None:
    takers = [("a", 1), ("b", 2)]
    assert barred(subject="m", position=1, creators_and_cancellers=["m"], step_takers=[])
    assert barred(subject="a", position=2, creators_and_cancellers=[], step_takers=takers)
    assert barred(subject="b", position=3, creators_and_cancellers=[], step_takers=takers)
    # the same position again after a return: the same check made again
    assert not barred(subject="a", position=1, creators_and_cancellers=[], step_takers=takers)
    assert not barred(subject="c", position=3, creators_and_cancellers=["m"], step_takers=takers)


def test_only_an_approval_may_be_silent() -> None:
    assert not remarks_required(ApprovalAction.APPROVE)
    assert all(remarks_required(a) for a in ApprovalAction if a is not ApprovalAction.APPROVE)
