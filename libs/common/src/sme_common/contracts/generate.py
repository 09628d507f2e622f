"""Writing the committed JSON Schemas from the models, and finding the ones that drifted.

``python -m sme_common.contracts generate`` rewrites ``contracts/events/<producer>/<type>.schema.json``
for every model; ``python -m sme_common.contracts check`` lists the files that differ from what their
model generates (and files no model generates) and exits 1 if there are any. The drift test runs
the same check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sme_common.contracts import events as events_package
from sme_common.contracts.base import EventData, render
from sme_common.contracts.index import EVENT_MODELS

SCHEMA_SUFFIX = ".schema.json"


def contracts_root() -> Path:
    """``sme_common/contracts/events`` in the source tree (the install is editable)."""
    return Path(events_package.__file__).parent


def schema_file(model: type[EventData], root: Path | None = None) -> Path:
    folder = model.producer().replace("-", "_")
    return (root or contracts_root()) / folder / f"{model.event_type}{SCHEMA_SUFFIX}"


def expected_files(root: Path | None = None) -> dict[Path, str]:
    """Each committed schema file as its model generates it."""
    return {
        schema_file(model, root): render(model.json_schema_document())
        for model in EVENT_MODELS.values()
    }


@dataclass(frozen=True)
class Drift:
    path: Path
    problem: str  # "differs", "missing" or "orphaned" (no model generates it)


def drift(root: Path | None = None) -> list[Drift]:
    root = root or contracts_root()
    expected = expected_files(root)
    found: list[Drift] = []
    for path, text in sorted(expected.items()):
        if not path.exists():
            found.append(Drift(path, "missing"))
        elif path.read_text(encoding="utf-8") != text:
            found.append(Drift(path, "differs"))
    for path in sorted(root.glob(f"*/*{SCHEMA_SUFFIX}")):
        if path not in expected:
            found.append(Drift(path, "orphaned"))
    return found


def write_all(root: Path | None = None) -> list[Path]:
    """Write every schema whose text changed; returns the files written."""
    written = []
    for path, text in sorted(expected_files(root).items()):
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
