"""What the typed event contracts cost per event (issue 7), in this one process, no I/O.

Consumer side, a ``registered.v1`` event as the enterprise directory reads it:
- the runner's JSON Schema check (jsonschema-rs; every consumer, unchanged);
- the contract's parse (``EnterpriseRegisteredV1.parse``: Pydantic validation of every field);
- the directory's whole read of the event (``directory.consumers._entry``: the parse and the row);
- for comparison, the same row read from the dict by hand, as the directory did before the contracts.
Producer side, what the importer builds per new enterprise with facts: the three events through the
builders (model, dump, envelope), then checked against their schemas as the planner does.

    .venv/bin/python bench/contracts_bench.py --events 20000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sme_common.contracts.events.registry.models import EnterpriseRegisteredV1  # noqa: E402
from sme_common.directory.consumers import _entry  # noqa: E402
from sme_common.events.envelope import CloudEvent  # noqa: E402
from sme_common.events.schemas import validate_event_data  # noqa: E402
from sme_common.ids import make_uscc  # noqa: E402
from sme_registry.enterprises.events import enterprise_event, registered  # noqa: E402
from sme_registry.facts.domain import YearlyFacts, derive_ratios  # noqa: E402
from sme_registry.facts.events import FILED_FACT_FIELDS, facts_filed  # noqa: E402
from sme_registry.sizing.domain import SizeFigures, load_size_rules  # noqa: E402
from sme_registry.sizing.events import size_class_changed  # noqa: E402

TYPE = EnterpriseRegisteredV1.event_type
LETTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(serial: int) -> str:
    body = "M"
    for _ in range(7):
        serial, digit = divmod(serial, len(LETTERS))
        body += LETTERS[digit]
    return make_uscc(region="620102", body=body)


def registered_data(serial: int) -> dict[str, Any]:
    return {
        "uscc": uscc(serial),
        "name": f"兰州示例机械制造有限公司{serial}",
        "legal_representative": "张三",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": "C3411",
        "founded_on": "2015-06-01",
        "operating_status": "operating",
        "registered_at": "2026-11-24T08:00:00.123456+00:00",
        "version": 1,
    }


def by_hand(event: CloudEvent) -> dict[str, Any]:
    """The directory's read of a registration before the contracts (dict lookups, no checks)."""
    data = event.data
    return {
        "uscc": data["uscc"],
        "name": data["name"],
        "region_code": data["region_code"],
        "reporting_unit_code": data["reporting_unit_code"],
        "industry_code": data.get("industry_code"),
        "founded_on": date.fromisoformat(data["founded_on"]) if data.get("founded_on") else None,
        "operating_status": data.get("operating_status") or "operating",
        "registry_version": data["version"],
        "registered_at": datetime.fromisoformat(data["registered_at"]),
    }


def per_event_us(work: Callable[[Any], object], items: list[Any], rounds: int = 5) -> float:
    """The median over ``rounds`` of the mean time per item, in µs."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            work(item)
        timings.append((time.perf_counter() - started) / len(items) * 1e6)
    return statistics.median(timings)


def import_events(serial: int) -> list[CloudEvent]:
    """What the importer's planner builds for one new enterprise with a year's facts."""
    code, at = uscc(serial), datetime.now(UTC)
    rules = load_size_rules()
    register = {k: v for k, v in registered_data(serial).items() if k not in ("uscc", "version")}
    register["founded_on"] = date(2015, 6, 1)
    yearly = YearlyFacts(year=2025, employees=120, operating_revenue_fen=3_000_000_000)
    facts = {name: getattr(yearly, name, None) for name in FILED_FACT_FIELDS}
    facts.update(source="import", quality_certifications=[])
    decision = rules.classify("C3411", SizeFigures(120, 3_000_000_000, None))
    payloads = [
        registered(code, register, version=1, at=at),
        facts_filed(
            code, year=2025, version=1, facts=facts, ratios=derive_ratios(yearly, None), at=at
        ),
        size_class_changed(
            code,
            decision=decision,
            previous_size_class=None,
            basis_year=2025,
            rule_version=rules.version,
            at=at,
        ),
    ]
    events = [enterprise_event(p) for p in payloads]
    for event in events:
        validate_event_data(event.type, event.data)
    return events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    events = [
        CloudEvent(type=TYPE, source="/sme/registry", data=registered_data(n))
        for n in range(args.events)
    ]
    print(f"== consumer side: {args.events:,} registered.v1 events, µs an event (median of 5) ==")
    schema = per_event_us(lambda e: validate_event_data(TYPE, e.data), events)
    parse = per_event_us(lambda e: EnterpriseRegisteredV1.parse(e.data), events)
    entry = per_event_us(_entry, events)
    manual = per_event_us(by_hand, events)
    print(f"JSON Schema check (jsonschema-rs, the runner)      {schema:6.1f}")
    print(f"contract parse (EnterpriseRegisteredV1.parse)      {parse:6.1f}")
    print(f"directory read with the contract (_entry)           {entry:6.1f}")
    print(f"directory read by hand, before the contracts       {manual:6.1f}")
    print(f"added by the contract per event                    {entry - manual:6.1f}")
    serials = list(range(args.events // 10 or 1))
    built = per_event_us(import_events, serials)
    print(f"== producer side: {len(serials):,} imported enterprises ==")
    print(f"three events built, dumped, enveloped and checked   {built:6.1f} µs an enterprise")


if __name__ == "__main__":
    main()
