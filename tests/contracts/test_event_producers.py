"""Producers build event data only through the contracts: wherever a service makes a CloudEvent,
its ``data`` is a contract model's ``to_event_data()``, never a dict put together by hand."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(ROOT.glob("services/*/src/**/*.py"))


def hand_built_events(source: str) -> list[int]:
    """Lines of ``CloudEvent(...)`` calls whose ``data`` is not ``<model>.to_event_data()``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "CloudEvent"):
            continue
        data = next((k.value for k in node.keywords if k.arg == "data"), None)
        built_by_contract = (
            isinstance(data, ast.Call)
            and isinstance(data.func, ast.Attribute)
            and data.func.attr == "to_event_data"
        )
        if not built_by_contract:
            found.append(node.lineno)
    return found


def test_every_event_a_service_makes_carries_data_from_its_contract() -> None:
    assert SOURCES, "no service sources found"
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in SOURCES
        if (lines := hand_built_events(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_check_finds_an_event_built_from_a_dict() -> None:
    source = (
        "event = CloudEvent(type=T, source=S, data={'uscc': u})\n"
        "fine = CloudEvent(type=T, source=S, data=EnterpriseRegisteredV1(**v).to_event_data())\n"
    )
    assert hand_built_events(source) == [1]
