"""The committed event schemas are what the contracts (the Pydantic models) generate: a schema edited
by hand, a model changed without regenerating, a schema no model generates, each fails here.

Regenerate with ``python -m sme_common.contracts generate``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sme_common.contracts.generate import contracts_root, drift, schema_file
from sme_common.contracts.index import EVENT_MODELS
from sme_common.events.schemas import known_event_types

REGISTERED = EVENT_MODELS["registry.enterprise.registered.v1"]


@pytest.fixture
def copied_contracts(tmp_path: Path) -> Path:
    """The committed schemas in a scratch folder, to break them there."""
    root = tmp_path / "events"
    shutil.copytree(contracts_root(), root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sme_common.contracts", "check", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_committed_schema_is_exactly_what_its_model_generates() -> None:
    assert drift() == [], "run: python -m sme_common.contracts generate"


def test_there_is_a_model_for_every_event_type_with_a_schema_and_no_other() -> None:
    assert set(EVENT_MODELS) == known_event_types()


def test_the_check_passes_on_a_faithful_copy(copied_contracts: Path) -> None:
    result = check(copied_contracts)
    assert result.returncode == 0, result.stdout + result.stderr
    assert drift(copied_contracts) == []


def test_a_schema_edited_by_hand_is_drift(copied_contracts: Path) -> None:
    path = schema_file(REGISTERED, copied_contracts)
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["name"]["maxLength"] = 500  # looser than the model
    path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [(d.path, d.problem) for d in drift(copied_contracts)] == [(path, "differs")]
    result = check(copied_contracts)
    assert result.returncode == 1
    assert "differs: registry/registry.enterprise.registered.v1.schema.json" in result.stdout


def test_a_model_changed_without_regenerating_is_drift(
    copied_contracts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = REGISTERED.json_schema_document

    def with_a_new_required_field() -> dict[str, object]:
        document = original()
        document["required"] = [*document["required"], "tier"]  # type: ignore[list-item]
        return document

    monkeypatch.setattr(REGISTERED, "json_schema_document", with_a_new_required_field)
    assert [d.problem for d in drift(copied_contracts)] == ["differs"]


def test_a_schema_no_model_generates_and_a_missing_one_are_drift(copied_contracts: Path) -> None:
    registered = schema_file(REGISTERED, copied_contracts)
    orphan = registered.with_name("registry.enterprise.renamed.v1.schema.json")
    registered.rename(orphan)
    problems = {(d.path.name, d.problem) for d in drift(copied_contracts)}
    assert problems == {
        ("registry.enterprise.registered.v1.schema.json", "missing"),
        ("registry.enterprise.renamed.v1.schema.json", "orphaned"),
    }
    assert check(copied_contracts).returncode == 1
