"""Pure parts of the evaluations: which rule documents are in force on a day, the application a
title holder is re-evaluated as, and the compact explanation a stored result keeps.

A stored result cannot keep the full export (``Explanation.to_json``: about 10 KiB and a third of
the evaluation's cost each, 1.5 GB for 150,000 holders). It keeps what the rules cannot tell again:
every criterion's result, band and points, and every fact read with its year and value. Names,
sources and verification labels are in the rule document, which the fingerprint pins
(``expand`` puts them back for the export).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sme_certification.rules.explanation import Explanation, tri
from sme_certification.rules.facts import Application, ApplicationKind, Level, Tier
from sme_certification.rules.ruleset import TierRules

COMPACT_FORMAT = 1
VALID_STATUSES = ("valid", "under_re_review")  # 复核中: the title stays valid while pending


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A stored version of a rule document, as the catalog builder needs it."""

    document_id: str
    version: str
    effective_from: date
    document: Mapping[str, Any]


def documents_in_force(
    packaged: Iterable[Mapping[str, Any]], stored: Iterable[StoredDocument], on: date
) -> list[Mapping[str, Any]]:
    """The shipped documents, each replaced by the latest stored version in force on ``on``
    (effective from that day or earlier); a stored document with a new id is added."""
    chosen: dict[str, StoredDocument] = {}
    for item in stored:
        if item.effective_from > on:
            continue
        current = chosen.get(item.document_id)
        if current is None or item.effective_from >= current.effective_from:
            chosen[item.document_id] = item
    documents = {str(d["id"]): d for d in packaged}
    documents.update({k: v.document for k, v in chosen.items()})
    return list(documents.values())


def count_unverified(document: Any) -> int:
    """How many rules of a document are still marked unverified (kept, so an officer can see
    what awaits correction; policy-facts labels)."""
    if isinstance(document, Mapping):
        own = 1 if document.get("verification") == "unverified" else 0
        return own + sum(count_unverified(v) for v in document.values())
    if isinstance(document, list):
        return sum(count_unverified(v) for v in document)
    return 0


def province_of(region_code: str) -> str:
    """GB/T 2260: the province is the first two digits."""
    return region_code[:2] + "0000"


def holder_application(
    tier: Tier, kind: ApplicationKind, level: str, region_code: str, as_of: date
) -> Application:
    """A title holder re-evaluated on ``as_of`` as if it filed that day."""
    return Application(tier, kind, Level(level), as_of, province_of(region_code))


def held_titles(certificates: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The enterprise's certificates as the engine's held titles (JSON form of ``HeldTitle``)."""
    return [
        {
            "tier": c["tier"],
            "level": c["level"],
            "issued_on": c["issued_on"],
            "expires_on": c["expires_on"],
            "revoked_on": c.get("ended_on") if c["status"] == "revoked" else None,
            "re_review_pending": c["status"] == "under_re_review",
            "certificate": c.get("number"),
        }
        for c in certificates
    ]


def compact(explanation: Explanation) -> dict[str, Any]:
    """The stored form of an explanation (see the module's docstring)."""
    facts: dict[str, Any] = {}
    criteria: list[list[Any]] = []
    for criterion in explanation.criteria:
        criteria.append([criterion.id, tri(criterion.result), criterion.points, criterion.band])
        for check in criterion.checks:
            for fact in check.facts:
                key = fact.name if fact.year is None else f"{fact.name}@{fact.year}"
                facts[key] = fact.value
    score = explanation.score
    out: dict[str, Any] = {
        "format": COMPACT_FORMAT,
        "kind": explanation.kind,
        "filed_on": explanation.filed_on,
        "province": explanation.province,
        "rule_set": [explanation.rule_set.id, explanation.rule_set.version],
        "fingerprint": explanation.rule_set.fingerprint,
        "overlays": [[o.id, o.version, o.fingerprint] for o in explanation.overlays],
        "outcome": explanation.outcome.value,
        "routes": list(explanation.direct_routes_met),
        "reasons": list(explanation.reasons),
        "missing": list(explanation.missing),
        "criteria": criteria,
        "facts": facts,
    }
    if score is not None:
        out["score"] = [score.points, score.points_up_to, score.max_points, score.pass_points]
        out["dimensions"] = {d.id: d.points for d in score.dimensions}
    return out


def expand(stored: Mapping[str, Any], rules: TierRules | None) -> dict[str, Any]:
    """The export of a stored result: the compact form with each criterion's name, sources and
    verification from the rule document version that produced it (when it is still loadable)."""
    described: dict[str, Any] = {}
    if rules is not None:
        for criterion in rules.criteria():
            described[criterion.id] = criterion
        if rules.score is not None:
            for dimension in rules.score.dimensions:
                for indicator in dimension.indicators:
                    described[indicator.id] = indicator
    criteria = []
    for criterion_id, result, points, band in stored.get("criteria", ()):
        item: dict[str, Any] = {"id": criterion_id, "result": result}
        if points is not None:
            item.update(points=points, band=band)
        known = described.get(criterion_id)
        if known is not None:
            item.update(
                name_zh=known.name_zh,
                sources=list(known.sources),
                verification=known.verification,
            )
        criteria.append(item)
    return {**stored, "criteria": criteria}
