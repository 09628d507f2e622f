"""The importer's planner on its own: rows and the register's state in, rows to write and events out,
no database (``bulk/domain.py``; import-linter keeps it free of SQLAlchemy)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sme_common.ids import make_uscc
from sme_registry.bulk.domain import ChunkPlan, ChunkState, ValidRow, plan_chunk
from sme_registry.facts.domain import YearlyFacts
from sme_registry.sizing.domain import load_size_rules

NOW = datetime(2026, 11, 24, 2, tzinfo=UTC)
TODAY = date(2026, 11, 24)
FIRST, SECOND = (make_uscc(region="620102", body=f"PL00000{n}") for n in (1, 2))
EMPTY = ChunkState(enterprises={}, elsewhere=frozenset(), facts={})


def register(name: str = "兰州规划机械有限公司") -> dict[str, Any]:
    return {
        "name": name,
        "legal_representative": None,
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": "C3411",
        "founded_on": date(2015, 6, 1),
        "operating_status": "operating",
    }


def facts(year: int, employees: int, revenue_fen: int) -> YearlyFacts:
    return YearlyFacts(year=year, employees=employees, operating_revenue_fen=revenue_fen)


def plan(rows: list[ValidRow], state: ChunkState = EMPTY) -> ChunkPlan:
    return plan_chunk(rows, state, actor="importer", now=NOW, today=TODAY, rules=load_size_rules())


def state_after(planned: ChunkPlan) -> ChunkState:
    """What the register holds once ``planned`` is written."""
    return ChunkState(
        enterprises={e["uscc"]: e for e in planned.new_enterprises + planned.changed_enterprises},
        elsewhere=frozenset(),
        facts={(f["uscc"], f["year"]): f for f in planned.new_facts + planned.changed_facts},
    )


def test_a_new_enterprise_with_facts_is_registered_filed_and_sized_in_one_version() -> None:
    planned = plan([ValidRow(2, FIRST, register(), facts(2025, 120, 3_000_000_000))])
    assert (planned.result.created, planned.result.updated, planned.result.errors) == (1, 0, [])
    (enterprise,) = planned.new_enterprises
    assert (enterprise["version"], enterprise["size_class"], enterprise["size_class_year"]) == (
        1,
        "small",
        2025,
    )
    assert [e.type for e in planned.events] == [
        "registry.enterprise.registered.v1",
        "registry.enterprise.facts-filed.v1",
        "registry.enterprise.size-class-changed.v1",
    ]
    assert {e.subject for e in planned.events} == {FIRST}
    assert planned.events[1].data["source"] == planned.new_facts[0]["source"] == "import"
    assert [r.version for r in planned.revisions] == [1]
    assert [(r.size_class, r.basis_year) for r in planned.size_records] == [("small", 2025)]


def test_rows_equal_to_the_register_plan_nothing() -> None:
    rows = [ValidRow(2, FIRST, register(), facts(2025, 120, 3_000_000_000))]
    again = plan(rows, state_after(plan(rows)))
    assert (again.result.created, again.result.updated, again.result.unchanged) == (0, 0, 1)
    assert again.events == again.new_facts == again.changed_enterprises == again.revisions == []


def test_a_rename_keeps_the_former_name_and_announces_the_fields_in_name_order() -> None:
    first = plan([ValidRow(2, FIRST, register(), None)])
    renamed = {**register("兰州规划智能有限公司"), "legal_representative": "张三"}
    planned = plan([ValidRow(2, FIRST, renamed, None)], state_after(first))
    (event,) = planned.events
    assert event.type == "registry.enterprise.updated.v1"
    assert event.data["changed_fields"] == ["legal_representative", "name"]
    assert event.data["former_names"] == [{"name": "兰州规划机械有限公司", "until": "2026-11-24"}]
    assert (event.data["version"], planned.changed_enterprises[0]["version"]) == (2, 2)


def test_two_years_of_one_enterprise_are_filed_together_and_the_later_decides_the_size() -> None:
    planned = plan(
        [
            ValidRow(2, FIRST, register(), facts(2024, 100, 2_000_000_000)),
            ValidRow(3, FIRST, register(), facts(2025, 400, 5_000_000_000)),
        ]
    )
    filed = [e.data for e in planned.events if e.type.endswith("facts-filed.v1")]
    assert [f["year"] for f in filed] == [2024, 2025]
    assert filed[1]["ratios"]["revenue_growth_ratio"] == "1.5000"  # against 2024, same chunk
    assert [(r.size_class, r.basis_year) for r in planned.size_records] == [("medium", 2025)]


def test_rows_of_an_enterprise_registered_elsewhere_are_refused() -> None:
    state = ChunkState(enterprises={}, elsewhere=frozenset({SECOND}), facts={})
    planned = plan(
        [ValidRow(2, FIRST, register(), None), ValidRow(3, SECOND, register(), None)], state
    )
    assert [(n, e.code) for n, e in planned.result.errors] == [(3, "region_forbidden")]
    assert [e.subject for e in planned.events] == [FIRST]


def test_an_enterprise_whose_event_its_contract_refuses_is_left_out_whole() -> None:
    """The name passed no API check (built by hand): the contract's 200 characters stop it."""
    planned = plan(
        [
            ValidRow(2, FIRST, register(), None),
            ValidRow(3, SECOND, register("长" * 201), facts(2025, 10, 1)),
        ]
    )
    assert planned.result.created == 1
    assert [(n, e.code) for n, e in planned.result.errors] == [(3, "row_not_publishable")]
    (refusal,) = planned.refusals
    assert (refusal.uscc, refusal.event_type) == (SECOND, "registry.enterprise.registered.v1")
    assert "name" in refusal.error and "长" not in refusal.error
    assert refusal.reference in planned.result.errors[0][1].detail
    assert [e["uscc"] for e in planned.new_enterprises] == [FIRST]
    assert planned.new_facts == planned.size_records == []
