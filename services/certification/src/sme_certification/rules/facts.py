"""What the rule engine reads: the application (tier, kind, level, province, filing date) and the
enterprise's facts (``EvaluationInput``), frozen and typed.

Names and units follow registry's yearly facts (``sme_registry.facts``): money in fen (integers),
counts as integers, ratios as ``Decimal``. Ratios are not inputs here: the engine derives them from
the figures, so that an explanation can show the figures it divided. The qualitative facts the
criteria read (honours, awards, the R&D institution, the leading product's field, officer
confirmations) are small closed vocabularies, listed below with the policy term they stand for.

A missing fact is ``None`` and is never guessed: a criterion that needs it is *unknown*, and the
outcome is *undetermined* only if that fact could change it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeVar


class RuleInputError(ValueError):
    """An evaluation input or application that cannot be evaluated (stable code, EN + ZH)."""

    def __init__(self, code: str, field: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.code, self.field, self.detail, self.detail_zh = code, field, detail, detail_zh


class Tier(enum.StrEnum):
    """The three tiers of 优质中小企业梯度培育 (names as in registry's pools and the event contracts)."""

    INNOVATIVE = "innovative"  # 创新型中小企业 (from 2026: 科技和创新型中小企业)
    SPECIALISED = "specialised"  # 专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 专精特新“小巨人”企业


class ApplicationKind(enum.StrEnum):
    NEW = "new"  # 新申报 / 认定
    RE_REVIEW = "re_review"  # 复核 (on expiry of a 3-year title)


class Level(enum.StrEnum):
    PROVINCIAL = "provincial"
    NATIONAL = "national"


class HonourKind(enum.StrEnum):
    """Honours that are a direct route for 创新型 while valid (63号附件1 直通条件二)."""

    HIGH_TECH_ENTERPRISE = "high_tech_enterprise"  # 高新技术企业
    NATIONAL_TECH_INNOVATION_DEMO = "national_tech_innovation_demo"  # 国家级技术创新示范企业
    IP_ADVANTAGE = "ip_advantage_enterprise"  # 知识产权优势企业
    IP_DEMONSTRATION = "ip_demonstration_enterprise"  # 知识产权示范企业


class AwardKind(enum.StrEnum):
    SCIENCE_TECHNOLOGY = "science_technology"  # 科学技术奖励 (自然科学/技术发明/科技进步/国防科技)
    CHUANGKE_CHINA = "chuangke_china"  # “创客中国”中小企业创新创业大赛 (rank = national ranking)


class AwardLevel(enum.StrEnum):
    NATIONAL = "national"  # 国家级
    PROVINCIAL = "provincial"  # 省部级 (provincial or ministerial)


class RdInstitutionLevel(enum.StrEnum):
    """Level of the highest recognised R&D institution (研发机构: 技术中心, 重点实验室, 工程中心, …)."""

    NONE = "none"  # 未建立
    BELOW_MUNICIPAL = "below_municipal"  # 市级以下
    MUNICIPAL = "municipal"  # 市级
    PROVINCIAL = "provincial"  # 省部级
    NATIONAL = "national"  # 国家级


RD_INSTITUTION_RANK = {level: rank for rank, level in enumerate(RdInstitutionLevel)}


class ProductField(enum.StrEnum):
    """Fields the leading product (主导产品) may belong to; criteria ask for one of a list."""

    STRATEGIC_EMERGING = "strategic_emerging"  # 《战略性新兴产业分类》所列领域
    KEY_CHAIN_GAP = "key_chain_gap"  # 产业链关键环节“补短板、锻长板、填空白”并取得实际成效
    SIX_FOUNDATIONS = "six_foundations"  # 工业“六基”（核心基础零部件、元器件、关键软件、先进基础工艺、关键基础材料、产业技术基础）
    TIME_HONOURED_BRAND = "time_honoured_brand"  # 中华老字号
    KEY_CHAIN_SUPPLIER = "key_chain_supplier"  # 为重点产业链龙头企业配套
    MANUFACTURING_POWER_KEY = "manufacturing_power_key"  # 制造强国战略十大重点产业领域
    CYBER_POWER_KEY = "cyber_power_key"  # 网络强国建设重点领域
    TRADITIONAL_UPGRADE = "traditional_upgrade"  # 改造提升传统产业
    EMERGING_INDUSTRY = "emerging_industry"  # 培育壮大新兴产业
    FUTURE_INDUSTRY = "future_industry"  # 布局建设未来产业
    ETHNIC_HANDICRAFT = "ethnic_handicraft"  # 民族工艺品 (贵州 seed 003 四.2)


class QualityItem(enum.StrEnum):
    """质量管理水平 and certification items (63号附件2 精细化; 附件3 精细化/特色化)."""

    PROVINCIAL_QUALITY_AWARD = "provincial_quality_award"  # 省级以上质量奖
    # 质量管理体系认证 (ISO 9001 类)
    MANAGEMENT_SYSTEM_CERTIFICATE = "management_system_certificate"
    OWN_BRAND = "own_brand"  # 自主品牌
    STANDARDS_DRAFTING = "standards_drafting"  # 主导或参与制（修）订标准
    INTERNATIONAL_CERTIFICATION = "international_certification"  # 发达国家或国际管理体系/产品认证


class FlagKind(enum.StrEnum):
    """Credit flags as registry records them (``sme_registry.flags``)."""

    ABNORMAL_OPERATIONS = "abnormal_operations"  # 经营异常名录
    SERIOUS_DISHONESTY = "serious_dishonesty"  # 严重失信主体名单 (incl. 偷漏税)
    MAJOR_ACCIDENT = "major_accident"  # 重大安全（含网络和数据安全）、质量、环境事故
    DATA_FALSIFICATION = "data_falsification"  # 数据造假 / 虚假申报


E = TypeVar("E", bound=enum.StrEnum)
T = TypeVar("T")

SME_SIZE_CLASSES = frozenset({"micro", "small", "medium"})  # registry's SizeClass values


@dataclass(frozen=True, slots=True)
class Application:
    """What is applied for, where and when: the rule set is chosen from these."""

    tier: Tier
    kind: ApplicationKind
    level: Level
    filed_on: date
    province: str | None = None  # GB/T 2260 code, e.g. 620000 (甘肃), 520000 (贵州)

    @property
    def year(self) -> int:
        """The application year; 上年度 is the year before it."""
        return self.filed_on.year


@dataclass(frozen=True, slots=True)
class YearFacts:
    """One fiscal year's figures, named as registry's ``YearlyFacts``."""

    year: int
    employees: int | None = None  # 从业人员
    operating_revenue_fen: int | None = None  # 营业收入
    main_business_revenue_fen: int | None = None  # 主营业务收入
    rd_expense_fen: int | None = None  # 研发费用
    rd_staff: int | None = None  # 研发人员
    total_assets_fen: int | None = None  # 资产总额
    total_liabilities_fen: int | None = None  # 负债总额
    net_profit_fen: int | None = None  # 净利润 (may be negative)
    ip_class1_high_value: int | None = None  # Ⅰ类高价值知识产权
    ip_class1_self_developed: int | None = None  # 自主研发Ⅰ类知识产权
    ip_class1: int | None = None  # Ⅰ类知识产权 (与主导产品相关)
    ip_class1_own_top3: int | None = None  # Ⅰ类, not transferred in, firm among the first 3 holders
    ip_class2: int | None = None  # Ⅱ类知识产权
    qualified_equity_raised_fen: int | None = None  # 合格机构投资者实缴股权融资 (that year)
    niche_market_years: int | None = None  # 从事特定细分市场时间 (years, at the year's end)
    digital_level: int | None = None  # 中小企业数字化水平等级 1–4


@dataclass(frozen=True, slots=True)
class CreditFlag:
    """A flag as registry records it: in force from ``started_on`` up to, not including, ``ended_on``."""

    kind: str
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True, slots=True)
class HeldTitle:
    """A title the enterprise holds or held. ``expires_on`` is the last day of validity."""

    tier: Tier
    level: Level
    issued_on: date
    expires_on: date
    revoked_on: date | None = None
    re_review_pending: bool = False  # 复核 filed: the title stays valid while it is pending
    # The number of the platform's certificate it was read from; None: declared by the applicant
    # (a title granted before the platform and not recorded on it).
    certificate: str | None = None

    def valid_on(self, day: date) -> bool:
        if day < self.issued_on:
            return False
        if self.revoked_on is not None and day >= self.revoked_on:
            return False
        return day <= self.expires_on or self.re_review_pending


@dataclass(frozen=True, slots=True)
class Honour:
    kind: HonourKind
    valid_from: date
    valid_until: date  # last day of validity

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True, slots=True)
class Award:
    kind: AwardKind
    level: AwardLevel
    awarded_on: date  # the date printed on the certificate counts (63号附件1 直通条件一)
    rank: int | None = None  # 1-based rank among the winning units; national ranking for 创客中国


def _frozen_mapping(value: Mapping[Any, Any]) -> Mapping[Any, Any]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class EvaluationInput:
    """The enterprise's facts for one evaluation."""

    uscc: str | None = None
    years: tuple[YearFacts, ...] = ()
    size_class: str | None = None  # registry's size class under 300号 (micro/small/medium/large)
    flags: tuple[CreditFlag, ...] = ()
    held_titles: tuple[HeldTitle, ...] = ()
    honours: tuple[Honour, ...] = ()
    awards: tuple[Award, ...] = ()
    rd_institution_level: RdInstitutionLevel | None = None
    leading_product_fields: frozenset[ProductField] | None = None
    quality_items: frozenset[QualityItem] | None = None
    market_share_ratio: Decimal | None = None  # 主导产品细分市场占有率 (domestic or international)
    domestic_market_rank: int | None = None  # 主导产品国内细分市场排名
    # 专精特新发展（质量）评价得分, keyed by the year zjtx.miit.gov.cn issued it (imported)
    quality_scores: Mapping[int, Decimal] = field(default_factory=dict)
    # qualitative items an officer confirms (ids declared by the rule set's "confirmations")
    confirmations: Mapping[str, bool] = field(default_factory=dict)
    # provincial 特色化 indicator values, by the indicator id the province configured
    local_indicators: Mapping[str, Decimal] = field(default_factory=dict)
    by_year: Mapping[int, YearFacts] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seen: dict[int, YearFacts] = {}
        for facts in self.years:
            if facts.year in seen:
                raise RuleInputError(
                    "year_repeated", "years", f"{facts.year} is given twice", f"{facts.year} 年重复"
                )
            seen[facts.year] = facts
        object.__setattr__(self, "by_year", MappingProxyType(seen))
        object.__setattr__(self, "quality_scores", _frozen_mapping(self.quality_scores))
        object.__setattr__(self, "confirmations", _frozen_mapping(self.confirmations))
        object.__setattr__(self, "local_indicators", _frozen_mapping(self.local_indicators))

    # --- JSON round trip (the service stores inputs beside explanations) ------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "years": [{f.name: getattr(y, f.name) for f in fields(YearFacts)} for y in self.years],
            "size_class": self.size_class,
            "flags": [
                {"kind": f.kind, "started_on": _iso(f.started_on), "ended_on": _iso(f.ended_on)}
                for f in self.flags
            ],
            "held_titles": [
                {
                    "tier": t.tier.value,
                    "level": t.level.value,
                    "issued_on": _iso(t.issued_on),
                    "expires_on": _iso(t.expires_on),
                    "revoked_on": _iso(t.revoked_on),
                    "re_review_pending": t.re_review_pending,
                    "certificate": t.certificate,
                }
                for t in self.held_titles
            ],
            "honours": [
                {
                    "kind": h.kind.value,
                    "valid_from": _iso(h.valid_from),
                    "valid_until": _iso(h.valid_until),
                }
                for h in self.honours
            ],
            "awards": [
                {
                    "kind": a.kind.value,
                    "level": a.level.value,
                    "awarded_on": _iso(a.awarded_on),
                    "rank": a.rank,
                }
                for a in self.awards
            ],
            "rd_institution_level": _value(self.rd_institution_level),
            "leading_product_fields": _sorted_values(self.leading_product_fields),
            "quality_items": _sorted_values(self.quality_items),
            "market_share_ratio": _decimal_str(self.market_share_ratio),
            "domestic_market_rank": self.domestic_market_rank,
            "quality_scores": {str(y): str(s) for y, s in sorted(self.quality_scores.items())},
            "confirmations": dict(sorted(self.confirmations.items())),
            "local_indicators": {k: str(v) for k, v in sorted(self.local_indicators.items())},
        }

    @classmethod
    def from_dict(cls, raw: Any) -> EvaluationInput:
        """Build from JSON-shaped data (as ``to_dict`` writes it); bad input raises
        ``RuleInputError`` naming the field (``flags[0].started_on``), never anything else."""
        if not isinstance(raw, Mapping):
            raise RuleInputError("input_malformed", "", "an object is required", "输入应为对象")
        known = {f.name for f in fields(cls)} - {"by_year"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise RuleInputError(
                "field_unknown", unknown[0], f"unknown field {unknown[0]}", f"未知字段 {unknown[0]}"
            )
        return cls(
            uscc=_opt_str(raw.get("uscc"), "uscc"),
            years=_section(raw, "years", _year_facts),
            size_class=_opt_str(raw.get("size_class"), "size_class"),
            flags=_section(
                raw,
                "flags",
                lambda f, p: CreditFlag(
                    _str(_need(f, "kind", p), f"{p}.kind"),
                    _date(_need(f, "started_on", p), f"{p}.started_on"),
                    _opt_date(f.get("ended_on"), f"{p}.ended_on"),
                ),
            ),
            held_titles=_section(
                raw,
                "held_titles",
                lambda t, p: HeldTitle(
                    _enum(Tier, _need(t, "tier", p), f"{p}.tier"),
                    _enum(Level, _need(t, "level", p), f"{p}.level"),
                    _date(_need(t, "issued_on", p), f"{p}.issued_on"),
                    _date(_need(t, "expires_on", p), f"{p}.expires_on"),
                    _opt_date(t.get("revoked_on"), f"{p}.revoked_on"),
                    _bool(t.get("re_review_pending", False), f"{p}.re_review_pending"),
                    _opt_str(t.get("certificate"), f"{p}.certificate"),
                ),
            ),
            honours=_section(
                raw,
                "honours",
                lambda h, p: Honour(
                    _enum(HonourKind, _need(h, "kind", p), f"{p}.kind"),
                    _date(_need(h, "valid_from", p), f"{p}.valid_from"),
                    _date(_need(h, "valid_until", p), f"{p}.valid_until"),
                ),
            ),
            awards=_section(
                raw,
                "awards",
                lambda a, p: Award(
                    _enum(AwardKind, _need(a, "kind", p), f"{p}.kind"),
                    _enum(AwardLevel, _need(a, "level", p), f"{p}.level"),
                    _date(_need(a, "awarded_on", p), f"{p}.awarded_on"),
                    _opt_int(a.get("rank"), f"{p}.rank"),
                ),
            ),
            rd_institution_level=(
                None
                if raw.get("rd_institution_level") is None
                else _enum(RdInstitutionLevel, raw["rd_institution_level"], "rd_institution_level")
            ),
            leading_product_fields=_enum_set(
                ProductField, raw.get("leading_product_fields"), "leading_product_fields"
            ),
            quality_items=_enum_set(QualityItem, raw.get("quality_items"), "quality_items"),
            market_share_ratio=_opt_decimal(raw.get("market_share_ratio"), "market_share_ratio"),
            domestic_market_rank=_opt_int(raw.get("domestic_market_rank"), "domestic_market_rank"),
            quality_scores={
                _year(y, "quality_scores"): _decimal(v, f"quality_scores.{y}")
                for y, v in _mapping(raw, "quality_scores").items()
            },
            confirmations={
                str(k): _bool(v, f"confirmations.{k}")
                for k, v in _mapping(raw, "confirmations").items()
            },
            local_indicators={
                str(k): _decimal(v, f"local_indicators.{k}")
                for k, v in _mapping(raw, "local_indicators").items()
            },
        )


YEAR_FIELDS = frozenset(f.name for f in fields(YearFacts))


def _malformed(field_name: str, detail: str, detail_zh: str) -> RuleInputError:
    return RuleInputError("input_malformed", field_name, detail, detail_zh)


def _need(item: Mapping[str, Any], key: str, path: str) -> Any:
    if item.get(key) is None:
        raise _malformed(f"{path}.{key}", f"{path}.{key} is required", f"缺少 {path}.{key}")
    return item[key]


def _section(raw: Mapping[str, Any], name: str, build: Callable[[Any, str], T]) -> tuple[T, ...]:
    items = raw.get(name) or []
    if not isinstance(items, list):
        raise _malformed(name, f"{name} is a list", f"{name} 应为列表")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise _malformed(f"{name}[{i}]", f"{name}[{i}] is an object", f"{name}[{i}] 应为对象")
        out.append(build(item, f"{name}[{i}]"))
    return tuple(out)


def _mapping(raw: Mapping[str, Any], name: str) -> Mapping[Any, Any]:
    value = raw.get(name) or {}
    if not isinstance(value, Mapping):
        raise _malformed(name, f"{name} is an object", f"{name} 应为对象")
    return value


def _year_facts(item: Mapping[str, Any], path: str) -> YearFacts:
    bad = sorted(set(item) - YEAR_FIELDS)
    if bad:
        raise RuleInputError(
            "field_unknown", f"{path}.{bad[0]}", f"unknown field {bad[0]}", f"未知字段 {bad[0]}"
        )
    _need(item, "year", path)
    for name, value in item.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise RuleInputError(
                "value_not_integer",
                f"{path}.{name}",
                f"{name} must be an integer (money in fen)",
                f"{name} 应为整数（金额单位为分）",
            )
    return YearFacts(**item)


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _malformed(name, f"{name} is a string", f"{name} 应为字符串")
    return value


def _opt_str(value: Any, name: str) -> str | None:
    return None if value is None else _str(value, name)


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise _malformed(name, f"{name} is true or false", f"{name} 应为布尔值")
    return value


def _opt_int(value: Any, name: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise RuleInputError("value_not_integer", name, f"{name} is an integer", f"{name} 应为整数")
    return value


def _year(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _malformed(name, f"{value!r} is not a year", f"{value!r} 不是年份") from None


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _value(member: enum.StrEnum | None) -> str | None:
    return None if member is None else member.value


def _sorted_values(members: frozenset[Any] | None) -> list[str] | None:
    return None if members is None else sorted(m.value for m in members)


def _decimal_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleInputError(
            "date_invalid", name, f"{name} is not an ISO date", f"{name} 不是有效日期"
        ) from None


def _opt_date(value: Any, name: str) -> date | None:
    return None if value is None else _date(value, name)


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, float | bool):
        raise RuleInputError(
            "decimal_invalid", name, f"{name} takes a decimal string", f"{name} 应为十进制字符串"
        )
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise RuleInputError(
            "decimal_invalid", name, f"{name} is not a decimal", f"{name} 不是有效数值"
        ) from None
    if not result.is_finite():
        raise RuleInputError("decimal_invalid", name, f"{name} is not finite", f"{name} 无效")
    return result


def _opt_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else _decimal(value, name)


def _enum(kind: type[E], value: Any, name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise RuleInputError(
            "value_unknown", name, f"{value!r} is not a known {name}", f"{name} 取值无效"
        ) from None


def _enum_set(kind: type[E], values: Any, name: str) -> frozenset[E] | None:
    if values is None:
        return None
    if not isinstance(values, list):
        raise _malformed(name, f"{name} is a list", f"{name} 应为列表")
    return frozenset(_enum(kind, v, name) for v in values)
