"""Explanations (what was read, the band, the points, the rule set) and their JSON export; the rule
documents' hygiene (sources, verification labels); officer edits and Gansu's local indicators
loaded without a release; bad rule data and bad input refused with a stable code."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.certification.tests.rules_support import (
    FILED_2025,
    FILED_2026,
    GANSU,
    application,
    change_year,
    evaluate,
    strong_enterprise,
)
from sme_certification.rules.domain import evaluate_application
from sme_certification.rules.explanation import CriterionKind, Outcome
from sme_certification.rules.facts import EvaluationInput, RuleInputError, Tier
from sme_certification.rules.predicates import RuleDataError
from sme_certification.rules.ruleset import RuleCatalog, packaged_documents

S, G = Tier.SPECIALISED, Tier.LITTLE_GIANT


def test_an_explanation_exports_to_json_with_every_criterion_and_what_it_read() -> None:
    explanation = evaluate(strong_enterprise(FILED_2025), application(S, FILED_2025))
    exported = json.loads(explanation.to_json())
    assert exported == json.loads(json.dumps(explanation.to_dict()))
    assert exported["rule_set"]["id"] == "national-2022-63"
    assert exported["outcome"] == "passed"
    by_id = {c["id"]: c for c in exported["criteria"]}
    assert len(by_id) == len(exported["criteria"]) == len(explanation.criteria)
    rd = by_id["specialised_rd_expense"]
    assert (rd["band"], rd["points"], rd["max_points"], rd["result"]) == (
        "研发费用总额500万元以上或占营业收入总额比重10%以上",
        10,
        10,
        "pass",
    )
    read = rd["checks"][0]["facts"]
    assert {"year": 2024, "name": "rd_expense_fen", "value": 1_200_000_000} in read
    ratio = by_id["specialised_debt_ratio"]["checks"][0]["facts"]
    assert ratio[0] == {"year": 2024, "name": "debt_ratio", "value": "0.400000"}
    assert {"year": 2024, "name": "total_assets_fen", "value": 20_000_000_000} in ratio
    assert all(c["sources"] and c["verification"] for c in exported["criteria"])
    assert exported["score"]["points"] == sum(
        c["points"] for c in exported["criteria"] if c["kind"] == "indicator"
    )


def test_a_multi_year_check_shows_each_year_read() -> None:
    explanation = evaluate(strong_enterprise(FILED_2026), application(S, FILED_2026))
    check = explanation.criterion("specialised_rd_input").checks[1]
    assert check.requirement.endswith("[近2年每年] ≥ 3%")
    assert [(f.year, f.name) for f in check.facts if f.name == "rd_expense_ratio"] == [
        (2025, "rd_expense_ratio"),
        (2024, "rd_expense_ratio"),
    ]


def test_a_mean_over_two_years_is_shown_with_the_years_it_averaged() -> None:
    explanation = evaluate(strong_enterprise(FILED_2025), application(S, FILED_2025))
    check = explanation.criterion("specialised_route_rd_mean").checks[0]
    assert [(f.year, f.value) for f in check.facts] == [
        (None, 1_170_000_000),
        (2024, 1_200_000_000),
        (2023, 1_140_000_000),
    ]
    odd = change_year(strong_enterprise(FILED_2025), 2023, rd_expense_fen=1_140_000_001)
    check = (
        evaluate(odd, application(S, FILED_2025)).criterion("specialised_route_rd_mean").checks[0]
    )
    assert check.facts[0].value == "1170000000.5"


def test_the_gansu_explanation_says_its_local_indicators_are_not_configured() -> None:
    explanation = evaluate(strong_enterprise(FILED_2025), application(S, FILED_2025))
    assert explanation.score is not None
    local = next(d for d in explanation.score.dimensions if d.id == "local_specialty")
    assert (local.points, local.max_points) == (0, 15)
    assert local.note is not None and "no local indicators configured" in local.note


# --- the rule documents ------------------------------------------------------------------------


def every_criterion(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(document.get("exclusions", [])) + list(document.get("general_conditions", []))
    found += list(document.get("conditions", []))
    tiers = document.get("tiers")
    for tier in tiers.values() if isinstance(tiers, dict) else ():
        for key in ("prerequisites", "conditions", "direct_routes"):
            found += tier.get(key, [])
        for dimension in (tier.get("score") or {}).get("dimensions", []):
            found += dimension.get("indicators", [])
    return found


def test_every_rule_cites_its_source_and_says_how_it_was_verified() -> None:
    for document in packaged_documents():
        assert document["id"] and document["version"]
        for item in every_criterion(document):
            assert item["sources"], item["id"]
            assert item["verification"] in {"verified_primary", "verified_secondary", "unverified"}


# What policy-facts.md marks UNVERIFIED stays in the data, marked so.
UNVERIFIED = {
    "national-2022-63": {
        "specialised_holds_innovative",
        "specialised_route_award",
        "specialised_route_rd_mean",
        "specialised_route_equity",
        "specialised_route_chuangke",
        "little_giant_holds_specialised",
        "little_giant_main_business_growth",
        "little_giant_debt_ratio",
        "little_giant_innovation",
        "little_giant_chain_position",
        "data_falsification_ban",
    },
    "national-2026-2": set(),
    "guizhou-zjtx-plan": set(),
    "gansu-local-specialty": set(),
}


def test_the_unverified_numbers_stay_in_the_data_marked_unverified() -> None:
    for document in packaged_documents():
        if document["kind"] == "selection":
            continue
        marked = {i["id"] for i in every_criterion(document) if i["verification"] == "unverified"}
        assert marked == UNVERIFIED[document["id"]], document["id"]


def test_the_guizhou_overlay_is_primary_seed_text() -> None:
    guizhou = next(d for d in packaged_documents() if d["id"] == "guizhou-zjtx-plan")
    assert {i["verification"] for i in every_criterion(guizhou)} == {"verified_primary"}


# --- edits without a release -------------------------------------------------------------------


def edited(change: Any) -> RuleCatalog:
    documents = packaged_documents()
    change({d["id"]: d for d in documents})
    return RuleCatalog.from_documents(documents)


def test_an_officer_correction_of_an_unverified_number_takes_effect_with_a_new_fingerprint() -> (
    None
):
    def correct_debt_ratio(docs: dict[str, Any]) -> None:
        national = docs["national-2022-63"]
        national["version"] = "1-gansu-2025-07"
        for item in national["tiers"]["little_giant"]["conditions"]:
            if item["id"] == "little_giant_debt_ratio":
                item["rule"]["ratio"] = "0.35"
                item["verification"] = "verified_secondary"
                item["sources"].append("officer correction 2025-07 against the 63号 PDF")

    catalog = edited(correct_debt_ratio)
    enterprise = strong_enterprise(FILED_2025)  # debt ratio 40%
    shipped = evaluate(enterprise, application(G, FILED_2025))
    corrected = evaluate_application(enterprise, application(G, FILED_2025), catalog)
    assert shipped.outcome is Outcome.PASSED
    assert (corrected.outcome, corrected.reasons) == (Outcome.FAILED, ("little_giant_debt_ratio",))
    assert corrected.rule_set.version == "1-gansu-2025-07"
    assert corrected.rule_set.fingerprint != shipped.rule_set.fingerprint


GANSU_INDICATORS = [
    {
        "id": "gansu_green_factory",
        "name_zh": "绿色工厂（示例指标）",
        "sources": ["甘肃省工信厅 configuration (test)"],
        "verification": "verified_primary",
        "max_points": 10,
        "bands": [
            {
                "label_zh": "国家级",
                "points": 10,
                "when": {
                    "test": "compare",
                    "metric": "local:gansu_green_factory",
                    "op": "gte",
                    "value": 2,
                },
            },
            {
                "label_zh": "省级",
                "points": 6,
                "when": {
                    "test": "compare",
                    "metric": "local:gansu_green_factory",
                    "op": "gte",
                    "value": 1,
                },
            },
            {"label_zh": "无", "points": 0, "otherwise": True},
        ],
    },
    {
        "id": "gansu_local_output_share",
        "name_zh": "省内配套产值占比（示例指标）",
        "sources": ["甘肃省工信厅 configuration (test)"],
        "verification": "verified_primary",
        "max_points": 5,
        "bands": [
            {
                "label_zh": "30%以上",
                "points": 5,
                "when": {
                    "test": "compare",
                    "metric": "local:gansu_local_output_share",
                    "op": "gte",
                    "value": "0.30",
                },
            },
            {"label_zh": "30%以下", "points": 0, "otherwise": True},
        ],
    },
]


def configure_gansu(indicators: list[dict[str, Any]]) -> Any:
    def change(docs: dict[str, Any]) -> None:
        docs["gansu-local-specialty"]["version"] = "2"
        docs["gansu-local-specialty"]["local_indicators"]["indicators"] = copy.deepcopy(indicators)

    return change


def test_gansus_local_indicators_are_configuration_and_score_when_set() -> None:
    catalog = edited(configure_gansu(GANSU_INDICATORS))
    enterprise = strong_enterprise(
        FILED_2025,
        local_indicators={
            "gansu_green_factory": Decimal(1),
            "gansu_local_output_share": Decimal("0.30"),
        },
    )
    explanation = evaluate_application(
        enterprise, application(S, FILED_2025, province=GANSU), catalog
    )
    assert explanation.score is not None
    local = next(d for d in explanation.score.dimensions if d.id == "local_specialty")
    assert (local.points, local.max_points) == (11, 15)
    assert local.note is None or "no local indicators configured" not in local.note
    assert explanation.criterion("gansu_green_factory").band == "省级"
    assert [o.version for o in explanation.overlays] == ["2"]
    unset = evaluate_application(
        strong_enterprise(FILED_2025), application(S, FILED_2025, province=GANSU), catalog
    )
    assert unset.criterion("gansu_green_factory").result is None  # a value not given: unknown


def test_gansus_local_indicators_cannot_exceed_15_points_or_3_indicators() -> None:
    too_rich = copy.deepcopy(GANSU_INDICATORS)
    too_rich[1]["max_points"] = 6
    too_rich[1]["bands"][0]["points"] = 6
    with pytest.raises(RuleDataError, match="16 points"):
        edited(configure_gansu(too_rich))
    four = [dict(GANSU_INDICATORS[1], id=f"x{i}", max_points=5) for i in range(4)]
    with pytest.raises(RuleDataError, match="1 to 3"):
        edited(configure_gansu(four))


# --- bad rule data ---------------------------------------------------------------------------


def first_condition(docs: dict[str, Any]) -> dict[str, Any]:
    return docs["national-2026-2"]["tiers"]["specialised"]["conditions"][0]  # type: ignore[no-any-return]


BAD_EDITS = [
    ("unknown metric", lambda c: c["rule"].update(metric="turnover"), "unknown metric"),
    ("unit mismatch", lambda c: c["rule"].pop("count") and c["rule"].update(wan=3), "does not fit"),
    ("float threshold", lambda c: c["rule"].update(count=2.5), "never floats"),
    ("no sources", lambda c: c.update(sources=[]), "sources"),
    ("bad label", lambda c: c.update(verification="probably"), "verification"),
    ("unknown key", lambda c: c.update(threshold=3), "unknown key 'threshold'"),
    (
        "undeclared confirmation",
        lambda c: c.update(rule={"test": "confirmed", "item": "vibes"}),
        "not declared",
    ),
    (
        "sum of a ratio",
        lambda c: (
            c["rule"].update(metric="debt_ratio", window="sum_of_last_2", ratio="0.5")
            or c["rule"].pop("count")
        ),
        "cannot be summed",
    ),
]


@pytest.mark.parametrize(("label", "edit", "message"), BAD_EDITS, ids=[b[0] for b in BAD_EDITS])
def test_bad_rule_data_is_refused_when_loaded_with_its_path(
    label: str, edit: Any, message: str
) -> None:
    with pytest.raises(RuleDataError, match=message) as raised:
        edited(lambda docs: edit(first_condition(docs)))
    assert raised.value.path.startswith("national-2026-2.tiers.specialised")


def test_a_band_table_must_end_with_otherwise_and_reach_its_maximum() -> None:
    def drop_otherwise(docs: dict[str, Any]) -> None:
        docs["national-2022-63"]["tiers"]["innovative"]["score"]["dimensions"][0]["indicators"][1][
            "bands"
        ].pop()

    with pytest.raises(RuleDataError, match="otherwise"):
        edited(drop_otherwise)


def test_a_selection_rule_must_name_a_known_rule_set() -> None:
    def typo(docs: dict[str, Any]) -> None:
        docs["selection"]["rules"][1]["rule_set"] = "national-2026-02"

    with pytest.raises(RuleDataError, match="unknown rule set"):
        edited(typo)


# --- the input -----------------------------------------------------------------------------------


def test_an_evaluation_input_round_trips_through_json() -> None:
    enterprise = strong_enterprise(FILED_2026)
    again = EvaluationInput.from_dict(json.loads(json.dumps(enterprise.to_dict())))
    assert again == enterprise
    explanation = evaluate(again, application(G, FILED_2026))
    assert explanation.to_dict() == evaluate(enterprise, application(G, FILED_2026)).to_dict()


BAD_INPUT = [
    (
        {"years": [{"year": 2025, "operating_revenue_fen": "1000"}]},
        "value_not_integer",
        "years[0].operating_revenue_fen",
    ),
    (
        {"years": [{"year": 2025, "operating_revenue_fen": 1.5}]},
        "value_not_integer",
        "years[0].operating_revenue_fen",
    ),
    ({"years": [{"year": 2025, "turnover": 1}]}, "field_unknown", "years[0].turnover"),
    ({"years": [{"employees": 3}]}, "input_malformed", "years[0].year"),
    ({"years": [{"year": 2025}, {"year": 2025}]}, "year_repeated", "years"),
    ({"years": ["2025"]}, "input_malformed", "years[0]"),
    ({"years": {"2025": {}}}, "input_malformed", "years"),
    ({"market_share_ratio": 0.1}, "decimal_invalid", "market_share_ratio"),
    ({"quality_scores": {"2026": "NaN"}}, "decimal_invalid", "quality_scores.2026"),
    ({"quality_scores": {"this year": "60"}}, "input_malformed", "quality_scores"),
    ({"rd_institution_level": "galactic"}, "value_unknown", "rd_institution_level"),
    (
        {"flags": [{"kind": "major_accident", "started_on": "2025-13-01"}]},
        "date_invalid",
        "flags[0].started_on",
    ),
    ({"flags": [{"kind": "major_accident"}]}, "input_malformed", "flags[0].started_on"),
    ({"held_titles": [{"tier": "innovative"}]}, "input_malformed", "held_titles[0].level"),
    (
        {
            "awards": [
                {
                    "kind": "chuangke_china",
                    "level": "national",
                    "awarded_on": "2025-01-01",
                    "rank": "3",
                }
            ]
        },
        "value_not_integer",
        "awards[0].rank",
    ),
    ({"confirmations": {"ip_in_use": "yes"}}, "input_malformed", "confirmations.ip_in_use"),
    ({"leading_product_fields": "six_foundations"}, "input_malformed", "leading_product_fields"),
    ({"colour": "blue"}, "field_unknown", "colour"),
    (["not", "an", "object"], "input_malformed", ""),
]


@pytest.mark.parametrize(
    ("raw", "code", "field"), BAD_INPUT, ids=[b[2] or "root" for b in BAD_INPUT]
)
def test_bad_input_is_refused_with_a_stable_code(raw: Any, code: str, field: str) -> None:
    with pytest.raises(RuleInputError) as raised:
        EvaluationInput.from_dict(raw)
    assert (raised.value.code, raised.value.field) == (code, field)
    assert raised.value.detail and raised.value.detail_zh


def test_the_exported_criterion_kinds_cover_every_group() -> None:
    explanation = evaluate(strong_enterprise(date(2025, 6, 1)), application(S, FILED_2025))
    kinds = {c.kind for c in explanation.criteria}
    assert kinds == {
        CriterionKind.EXCLUSION,
        CriterionKind.GENERAL_CONDITION,
        CriterionKind.PREREQUISITE,
        CriterionKind.CONDITION,
        CriterionKind.DIRECT_ROUTE,
        CriterionKind.INDICATOR,
    }
