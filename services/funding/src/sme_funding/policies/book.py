"""The policy book: the packaged policy data (``data/<province>.json``), parsed strictly.

Each file is one province's policies (政策事项) with its version and effective dates; a policy may
have several versions with effective dates that do not overlap. Bad data fails at load, naming the
file and the policy: a typo in a tier, a negative amount, a rate above its maximum, overlapping
versions or a stacking rule naming an unknown policy never reach a payment.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from sme_funding.policies.domain import (
    LEVELS,
    TIERS,
    AmountRule,
    Citation,
    FixedAmount,
    PayeeKind,
    PerUnit,
    Policy,
    PolicyBook,
    PolicyTrigger,
    ShareOfSpend,
    StackingKind,
    StackingRule,
    TriggerKind,
    UpTo,
)

__all__ = ["PolicyBook", "PolicyDataError", "load_book", "parse_book"]

ProvinceCode = Annotated[str, Field(pattern=r"^[0-9]{2}0000$")]
PolicyCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", max_length=64)]
Fen = Annotated[int, Field(gt=0)]


def _decimal_text(value: object) -> Decimal:
    """Rates are written as JSON strings ("0.10"): a binary float never becomes money."""
    if not isinstance(value, str):
        raise ValueError('a ratio is written as a string, e.g. "0.10"')
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return parsed


Ratio = Annotated[Decimal, BeforeValidator(_decimal_text), Field(gt=0, le=1)]
Tier = Literal["innovative", "specialised", "little_giant"]
Level = Literal["provincial", "national"]

CERTIFICATE_KINDS = (TriggerKind.CERTIFICATE_GRANTED, TriggerKind.CERTIFICATE_RENEWED)


class PolicyDataError(ValueError):
    """The policy data is wrong: names the file and, when known, the policy."""

    def __init__(self, file: str, policy: str | None, message: str) -> None:
        where = f"{file}: policy {policy}" if policy else file
        super().__init__(f"{where}: {message}")
        self.file = file
        self.policy = policy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class CitationData(_Strict):
    document: Annotated[str, Field(min_length=1)]
    article: Annotated[str, Field(min_length=1)]
    unverified: bool = False


class TriggerData(_Strict):
    kind: TriggerKind
    tier: Tier | None = None
    level: Level | None = None
    first_only: bool = False
    project_kind: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = None
    holder_tiers: tuple[Tier, ...] = ()
    unit: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> TriggerData:
        certificate = self.kind in CERTIFICATE_KINDS
        if certificate != (self.tier is not None and self.level is not None):
            raise ValueError("certificate triggers (and only they) name a tier and a level")
        if self.first_only and not certificate:
            raise ValueError("first_only applies to certificate triggers only")
        project = self.kind == TriggerKind.SUBSIDY_PROJECT
        if project != (self.project_kind is not None):
            raise ValueError("subsidy_project triggers (and only they) name a project_kind")
        if self.holder_tiers and not project:
            raise ValueError("holder_tiers applies to subsidy_project triggers only")
        if (self.kind == TriggerKind.UNIT_COUNT) != (self.unit is not None):
            raise ValueError("unit_count triggers (and only they) name a unit")
        return self


class FixedData(_Strict):
    kind: Literal["fixed"]
    amount_fen: Fen
    configurable: bool = False


class ShareOfSpendData(_Strict):
    kind: Literal["share_of_spend"]
    rate_ratio: Ratio
    max_rate_ratio: Ratio | None = None
    cap_fen: Fen | None = None
    spend_threshold_fen: Fen | None = None
    investment_threshold_fen: Fen | None = None

    @model_validator(mode="after")
    def _rates(self) -> ShareOfSpendData:
        if self.max_rate_ratio is not None and self.max_rate_ratio < self.rate_ratio:
            raise ValueError("max_rate_ratio is below rate_ratio")
        return self


class UpToData(_Strict):
    kind: Literal["up_to"]
    cap_fen: Fen


class PerUnitData(_Strict):
    kind: Literal["per_unit"]
    unit_amount_fen: Fen


AmountData = Annotated[
    FixedData | ShareOfSpendData | UpToData | PerUnitData, Field(discriminator="kind")
]

_AMOUNTS_BY_TRIGGER: dict[TriggerKind, tuple[str, ...]] = {
    TriggerKind.CERTIFICATE_GRANTED: ("fixed",),
    TriggerKind.CERTIFICATE_RENEWED: ("fixed",),
    TriggerKind.SUBSIDY_PROJECT: ("share_of_spend", "up_to"),
    TriggerKind.UNIT_COUNT: ("per_unit",),
}


class PolicyData(_Strict):
    code: PolicyCode
    version: Annotated[str, Field(min_length=1, max_length=32)]
    title_zh: Annotated[str, Field(min_length=1)]
    title_en: Annotated[str, Field(min_length=1)]
    province_code: ProvinceCode
    citations: Annotated[tuple[CitationData, ...], Field(min_length=1)]
    trigger: TriggerData
    amount: AmountData
    effective_from: date
    effective_to: date | None
    payee_kind: PayeeKind
    fund_code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    notes_en: str = ""
    notes_zh: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> PolicyData:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.amount.kind not in _AMOUNTS_BY_TRIGGER[self.trigger.kind]:
            raise ValueError(
                f"a {self.trigger.kind.value} trigger cannot take a {self.amount.kind} amount"
            )
        return self

    def to_domain(self) -> Policy:
        return Policy(
            code=self.code,
            version=self.version,
            title_zh=self.title_zh,
            title_en=self.title_en,
            province_code=self.province_code,
            citations=tuple(_citation(c) for c in self.citations),
            trigger=PolicyTrigger(
                kind=self.trigger.kind,
                tier=self.trigger.tier,
                level=self.trigger.level,
                first_only=self.trigger.first_only,
                project_kind=self.trigger.project_kind,
                holder_tiers=self.trigger.holder_tiers,
                unit=self.trigger.unit,
            ),
            amount=_amount(self.amount),
            effective_from=self.effective_from,
            effective_to=self.effective_to,
            payee_kind=self.payee_kind,
            fund_code=self.fund_code,
            notes_en=self.notes_en,
            notes_zh=self.notes_zh,
        )


class StackingData(_Strict):
    policies: tuple[PolicyCode, PolicyCode]
    kind: StackingKind
    citation: CitationData


class ProvinceFile(_Strict):
    province_code: ProvinceCode
    province_name_zh: Annotated[str, Field(min_length=1)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    effective_from: date
    effective_to: date | None
    notes_en: str = ""
    policies: tuple[dict[str, object], ...]
    """Parsed one by one (``PolicyData``), so an error names its policy."""
    stacking: tuple[StackingData, ...] = ()


def _citation(data: CitationData) -> Citation:
    return Citation(document=data.document, article=data.article, unverified=data.unverified)


def _amount(data: FixedData | ShareOfSpendData | UpToData | PerUnitData) -> AmountRule:
    if isinstance(data, FixedData):
        return FixedAmount(amount_fen=data.amount_fen, configurable=data.configurable)
    if isinstance(data, ShareOfSpendData):
        return ShareOfSpend(
            rate_ratio=data.rate_ratio,
            max_rate_ratio=data.max_rate_ratio or data.rate_ratio,
            cap_fen=data.cap_fen,
            spend_threshold_fen=data.spend_threshold_fen,
            investment_threshold_fen=data.investment_threshold_fen,
        )
    if isinstance(data, UpToData):
        return UpTo(cap_fen=data.cap_fen)
    return PerUnit(unit_amount_fen=data.unit_amount_fen)


def _errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['msg']}"
        for e in error.errors()
    )


def _parse_file(name: str, text: str) -> tuple[list[Policy], list[StackingRule]]:
    try:
        document = ProvinceFile.model_validate_json(text)
    except ValidationError as error:
        raise PolicyDataError(name, None, _errors(error)) from error
    policies: list[Policy] = []
    for raw in document.policies:
        code = raw.get("code")
        label = code if isinstance(code, str) else "(without a code)"
        try:
            # Strict JSON parsing (dates and decimals from their JSON text), policy by policy.
            data = PolicyData.model_validate_json(_to_json(raw))
        except ValidationError as error:
            raise PolicyDataError(name, label, _errors(error)) from error
        if data.province_code != document.province_code:
            raise PolicyDataError(
                name, label, f"province_code {data.province_code} is not the file's"
            )
        policy = data.to_domain()
        if policy.effective_from < document.effective_from or (
            document.effective_to is not None
            and (policy.effective_to is None or policy.effective_to > document.effective_to)
        ):
            raise PolicyDataError(name, label, "effective dates outside the file's")
        policies.append(policy)
    stacking = [
        StackingRule(policies=rule.policies, kind=rule.kind, citation=_citation(rule.citation))
        for rule in document.stacking
    ]
    return policies, stacking


def _to_json(raw: Mapping[str, object]) -> str:
    return json.dumps(raw, ensure_ascii=False)


def _check_book(
    name_of: Mapping[str, str], policies: list[Policy], stacking: list[StackingRule]
) -> None:
    by_code: dict[str, list[Policy]] = {}
    for policy in policies:
        by_code.setdefault(policy.code, []).append(policy)
    for code, versions in by_code.items():
        file = name_of[code]
        if len({p.province_code for p in versions}) > 1:
            raise PolicyDataError(file, code, "versions in more than one province")
        if len({p.version for p in versions}) < len(versions):
            raise PolicyDataError(file, code, "a version appears twice")
        ordered = sorted(versions, key=lambda p: p.effective_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise PolicyDataError(
                    file,
                    code,
                    f"versions {earlier.version} and {later.version} overlap in effective dates",
                )
        for policy in versions:
            tier, level = policy.trigger.tier, policy.trigger.level
            if tier is not None and (tier not in TIERS or level not in LEVELS):
                raise PolicyDataError(file, code, f"unknown tier or level {tier}/{level}")
    seen: set[tuple[str, str]] = set()
    for rule in stacking:
        for code in rule.policies:
            if code not in by_code:
                raise PolicyDataError(
                    name_of.get(rule.policies[0], "stacking"),
                    code,
                    "a stacking rule names a policy that does not exist",
                )
        first, second = rule.policies
        if first == second and rule.kind != StackingKind.FIRST_TIME_ONLY:
            raise PolicyDataError(
                name_of[first], first, "a policy pairs with itself only as first_time_only"
            )
        pair = (min(first, second), max(first, second))
        if pair in seen:
            raise PolicyDataError(name_of[first], first, f"two stacking rules for {pair}")
        seen.add(pair)


def parse_book(documents: Iterable[tuple[str, str]]) -> PolicyBook:
    """A book from ``(file name, JSON text)`` pairs; raises ``PolicyDataError`` on bad data."""
    policies: list[Policy] = []
    stacking: list[StackingRule] = []
    name_of: dict[str, str] = {}
    for name, text in documents:
        file_policies, file_stacking = _parse_file(name, text)
        for policy in file_policies:
            name_of.setdefault(policy.code, name)
        policies.extend(file_policies)
        stacking.extend(file_stacking)
    _check_book(name_of, policies, stacking)
    return PolicyBook(tuple(policies), tuple(stacking))


def packaged_documents() -> list[tuple[str, str]]:
    """The shipped data files, by name (fresh text: a test may edit and re-parse them)."""
    folder = resources.files("sme_funding.policies.data")
    return [
        (entry.name, entry.read_text("utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


@cache
def load_book() -> PolicyBook:
    """The policy book shipped with the service (``data/*.json``)."""
    return parse_book(packaged_documents())
