"""The events registry publishes on ``registry.enterprise`` (keyed by USCC).

The constraints are the ones the hand-written v1 schemas had, no tighter: events already on the
topic must stay valid, and within v1 only optional fields are added.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import MISSING, ConfigDict, Field

from sme_common.contracts.base import EventData, EventPart, Timestamp, Uscc

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
SizeClass = Literal["micro", "small", "medium", "large"]
Pool = Literal["innovative", "specialised", "little_giant", "scale_up", "listing_reserve"]
# A ratio as the facts module derives it: a decimal string with four places (money.ratio).
RatioText = Annotated[str, Field(pattern=r"^-?[0-9]+\.[0-9]{4}$")]


class EnterpriseRegisteredV1(EventData):
    """Published by registry in the same transaction that creates the enterprise. Consumers keep
    their own read model of enterprises from it."""

    model_config = ConfigDict(title="An enterprise was entered in the register")
    event_type: ClassVar[str] = "registry.enterprise.registered.v1"

    uscc: Uscc
    name: str = Field(min_length=1, max_length=200)
    """The registered name."""
    legal_representative: str | None = Field(default=None, max_length=100)
    """法定代表人, as registered."""
    region_code: RegionCode = Field(description="Registration region, GB/T 2260")
    reporting_unit_code: RegionCode = Field(description="One of the 14 市州 or 兰州新区 (620171)")
    industry_code: str | None = Field(
        default=None,
        pattern=r"^[A-T]([0-9]{2,4})?$",
        description="GB/T 4754-2017, down to the level the caller knows",
    )
    founded_on: date | None = None
    """成立日期."""
    operating_status: str | MISSING = MISSING
    """operating (存续), suspended (停业), deregistered (注销) or revoked (吊销); registry always
    sends it, and a reader takes an absent one as operating."""
    registered_at: Timestamp
    """When the register entry was made."""
    version: int = Field(
        ge=1,
        description="The enterprise's version after this change; consumers detect gaps with it",
    )


class EnterpriseUpdatedV1(EventData):
    """Published with every change of name, legal representative, region, industry or status (not
    facts, flags or pools, which have their own events). Carries the whole register entry after
    the change."""

    model_config = ConfigDict(title="An enterprise's register entry changed")
    event_type: ClassVar[str] = "registry.enterprise.updated.v1"

    uscc: Uscc
    version: int = Field(ge=2)
    """The enterprise's version after this change."""
    changed_fields: list[str]
    """The register fields this change touched, in name order."""
    name: str
    former_names: list[Any] | MISSING = MISSING
    """Earlier names, oldest first, each ``{"name": …, "until": "YYYY-MM-DD"}``."""
    legal_representative: str | None = None
    region_code: RegionCode
    reporting_unit_code: RegionCode
    industry_code: str | None = None
    """GB/T 4754-2017 code."""
    founded_on: date | None = None
    operating_status: str
    """operating (存续), suspended (停业), deregistered (注销) or revoked (吊销)."""
    updated_at: Timestamp
    """When the change was made."""


class FiledFacts(EventPart):
    """The facts of the year as filed (policy-facts.md §1): money in fen, counts in units."""

    source: str | MISSING = MISSING
    """Where the figures come from: self_declared, tax, statistics, market_regulation, audited,
    import."""
    employees: int | MISSING | None = MISSING
    operating_revenue_fen: int | MISSING | None = MISSING
    main_business_revenue_fen: int | MISSING | None = MISSING
    rd_expense_fen: int | MISSING | None = MISSING
    rd_staff: int | MISSING | None = MISSING
    total_assets_fen: int | MISSING | None = MISSING
    total_liabilities_fen: int | MISSING | None = MISSING
    net_profit_fen: int | MISSING | None = MISSING
    ip_class1_high_value: int | MISSING | None = MISSING
    """Ⅰ类高价值知识产权."""
    ip_class1_self_developed: int | MISSING | None = MISSING
    """自主研发Ⅰ类知识产权."""
    ip_class1: int | MISSING | None = MISSING
    """Ⅰ类知识产权."""
    ip_class2: int | MISSING | None = MISSING
    """Ⅱ类知识产权."""
    qualified_equity_raised_fen: int | MISSING | None = MISSING
    """合格机构投资者股权融资."""
    niche_market_years: int | MISSING | None = MISSING
    """从事特定细分市场时间."""
    digital_level: int | MISSING | None = MISSING
    """数字化水平等级 (1–4)."""
    quality_certifications: list[str] | MISSING = MISSING
    leading_product: str | MISSING | None = MISSING
    """主导产品."""
    leading_product_field: str | MISSING | None = MISSING
    """主导产品所属领域."""


class FactsFiledV1(EventData):
    """Carries the facts as filed and the ratios derived from them (decimal strings)."""

    model_config = ConfigDict(title="Yearly facts were filed or corrected")
    event_type: ClassVar[str] = "registry.enterprise.facts-filed.v1"

    uscc: Uscc
    year: int
    """The year the facts are of."""
    version: int = Field(ge=1)
    """The version of this year's facts after this filing."""
    facts: FiledFacts
    ratios: dict[str, RatioText | None]
    """debt_ratio, rd_expense_ratio, rd_staff_ratio, main_business_ratio, revenue_growth_ratio,
    net_profit_margin_ratio; null where a figure is missing."""
    source: str | MISSING = MISSING
    """Where the figures come from (as ``facts.source``)."""
    filed_at: Timestamp


class SizeFiguresRead(EventPart):
    """The figures the size decision read; only those the industry's row uses are present."""

    employees: int | MISSING | None = Field(default=MISSING, description="从业人员, persons")
    operating_revenue_fen: int | MISSING | None = Field(
        default=MISSING, description="营业收入 in fen (the exact figure the decision read)"
    )
    total_assets_fen: int | MISSING | None = Field(
        default=MISSING, description="资产总额 in fen (the exact figure the decision read)"
    )
    operating_revenue_wan: int | float | MISSING | None = Field(
        default=MISSING,
        deprecated=True,
        description="营业收入 in 万元 (= operating_revenue_fen / 1,000,000), the unit of the 300号 "
        "table. Events before 2026-11-26 carried the fen value under this name; read "
        "operating_revenue_fen instead.",
    )
    total_assets_wan: int | float | MISSING | None = Field(
        default=MISSING,
        deprecated=True,
        description="资产总额 in 万元 (= total_assets_fen / 1,000,000), the unit of the 300号 "
        "table. Events before 2026-11-26 carried the fen value under this name; read "
        "total_assets_fen instead.",
    )


class SizeExplanation(EventPart):
    """Why: the industry row, the thresholds (in 万元 and persons, as 300号 states them), the
    figures read and the condition that decided, or the reason no class could be decided."""

    figures: SizeFiguresRead | MISSING = MISSING
    thresholds: dict[str, int] | MISSING = Field(
        default=MISSING,
        description="the deciding thresholds: money in 万元, employees in persons",
    )


class SizeClassChangedV1(EventData):
    """Decided under 工信部联企业〔2011〕300号 from the latest yearly facts; size_class is null when it
    cannot be decided (the explanation says why)."""

    model_config = ConfigDict(title="The SME size class of an enterprise changed")
    event_type: ClassVar[str] = "registry.enterprise.size-class-changed.v1"

    uscc: Uscc
    size_class: SizeClass | None
    previous_size_class: SizeClass | None
    basis_year: int | None = None
    """The year of the facts the decision read."""
    rule_version: str
    """The version of the 300号 thresholds table applied."""
    explanation: SizeExplanation | MISSING = MISSING
    decided_at: Timestamp


class PoolChangedV1(EventData):
    """Pools (培育库): innovative, specialised (专精特新), little_giant (小巨人), scale_up (规下转规上),
    listing_reserve (上市后备)."""

    model_config = ConfigDict(title="An enterprise entered or left a cultivation pool")
    event_type: ClassVar[str] = "registry.enterprise.pool-changed.v1"

    uscc: Uscc
    entry_id: str
    pool: Pool
    change: Literal["entered", "left"]
    on: date
    """The day the enterprise entered or left."""
    reason: str | None = None
    source: str
    """Who moved it: an officer, or the certificate event that did."""
    source_ref: str | None = None
    """The certificate (or other record) that moved it."""


class FlagsChangedV1(EventData):
    """Credit flags block titles and payments; active_flags lists every flag kind in force after
    this change."""

    model_config = ConfigDict(title="A credit flag was raised, changed or lifted")
    event_type: ClassVar[str] = "registry.enterprise.flags-changed.v1"

    uscc: Uscc
    flag_id: str
    kind: str
    change: Literal["raised", "updated", "lifted"]
    started_on: date
    ended_on: date | None = None
    source: str | MISSING = MISSING
    active_flags: list[str]


ServicePersonRole = Literal["service_commissioner", "financial_adviser"]


class ServingPerson(EventPart):
    """A person with an open assignment to the enterprise (no end recorded)."""

    person_id: str
    name: str
    role: ServicePersonRole = Field(
        description="服务专员 (service_commissioner) or 金融顾问 (financial_adviser)"
    )
    organisation: str | None = None
    phone: str | None = None
    """A work number, as the person was appointed with."""
    assigned_on: date
    """The day the assignment began."""


class ServicePeopleChangedV1(EventData):
    """Published in the transaction that assigns a service commissioner (服务专员) or financial
    adviser (金融顾问) to the enterprise or ends an assignment; ``people`` lists everyone serving it
    after this change (empty when no one does), so the latest event is the whole answer."""

    model_config = ConfigDict(title="The people serving an enterprise changed")
    event_type: ClassVar[str] = "registry.enterprise.service-people-changed.v1"

    uscc: Uscc
    change: Literal["assigned", "ended"]
    """What happened: an assignment was made or ended."""
    assignment_id: str
    """The assignment made or ended."""
    people: list[ServingPerson]
    """Everyone serving the enterprise after this change, by role, name and person id."""
    changed_at: Timestamp
    """When the change was recorded; of two events of one enterprise the later one is current."""


MODELS: tuple[type[EventData], ...] = (
    EnterpriseRegisteredV1,
    EnterpriseUpdatedV1,
    FactsFiledV1,
    SizeClassChangedV1,
    PoolChangedV1,
    FlagsChangedV1,
    ServicePeopleChangedV1,
)
