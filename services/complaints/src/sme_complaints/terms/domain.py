"""Payment terms and late interest under the payment regulation (保障中小企业款项支付条例), pure.

``evaluate(facts, as_of, calendar)`` answers when payment fell due, how many days it is overdue on ``as_of``
and the late interest (逾期利息) owed to that day, with an explanation in Chinese and English.
The cases module calls it to show the figures on a case; the API exposes it for a hotline or an
officer to check contract facts before filing.

The rules, by the version in force on the contract's signing date (``data/regulations.json``):

* Government bodies and public institutions (机关、事业单位): 30 days from delivery (交付); a
  contract may agree another term, at most 60 days (728号 第八条第一款; 802号 第九条第一款).
* Large enterprises (大型企业): under 802号, 60 days from delivery; an agreed term prevails
  ("从其约定", to be reasonable by industry practice; the text sets no cap) and may not make payment
  wait on a third party's payment (no back-to-back clause) (第九条第二款). Under 728号 there is no
  number: the agreed term applies (第八条第二款), so without one the due date is not determined.
* Progress or periodic settlement (履行进度结算、定期结算): the term runs from the day both
  parties confirmed the settlement amount (728号 第八条第三款; 802号 第九条第四款).
* Payment on passed inspection or acceptance (检验或者验收合格): the term runs from the day of
  acceptance; the contract fixes an inspection period and acceptance must happen within it; if
  the buyer delays, the term runs from the end of the agreed period (728号 第九条; 802号 第十条).
* Late interest (逾期利息): at the agreed rate, which may not be below the 1-year LPR at signing;
  without an agreed rate, 0.05% a day (每日利率万分之五) (728号 第十五条; 802号 第十七条).

Day counting: "自…之日起N日内" is counted from the day after the start day (民法典 第二百零一条),
so the last day to pay is ``start + N``, moved to the next working day when it falls on a day off
(民法典 第二百零三条: "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日";
weekends and statutory holidays are days off, 调休 make-up working days are not). The working-day
calendar decides, and a year it does not know is refused (``calendar_year_unknown``), never guessed
from weekends. Interest runs from the day after the last day to ``as_of`` inclusive. Money is integer fen; interest is computed once over the whole period and
rounded half up to the fen. An agreed annual rate is turned into a daily one by dividing by 360
(《人民币利率管理规定》: 日利率 = 年利率 ÷ 360); a convention, stated in the explanation.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

from sme_common.calendar import CalendarYearUnknown, WorkdayCalendar
from sme_common.rules import RuleViolation

STATUTORY_DAILY_RATE = Decimal("0.0005")
"""每日利率万分之五: 0.05% a day when no rate was agreed."""
DAY_COUNT_BASIS = 360
PUBLIC_DEFAULT_TERM_DAYS = 30
PUBLIC_MAX_TERM_DAYS = 60


class RespondentType(enum.StrEnum):
    GOVERNMENT_BODY = "government_body"
    """机关"""
    PUBLIC_INSTITUTION = "public_institution"
    """事业单位 (and organisations paid from public funds, 802号 第三十六条)"""
    LARGE_ENTERPRISE = "large_enterprise"
    """大型企业"""


class PaymentBasis(enum.StrEnum):
    DELIVERY = "delivery"
    """The term runs from delivery (交付)."""
    ACCEPTANCE = "acceptance"
    """Payment on passed inspection or acceptance (检验或者验收合格)."""
    SETTLEMENT = "settlement"
    """Progress or periodic settlement (履行进度结算、定期结算): from the confirmed amount."""


class InterestBasis(enum.StrEnum):
    AGREED = "agreed"
    LPR_FLOOR = "lpr_floor"
    STATUTORY_DAILY = "statutory_daily"


@dataclass(frozen=True)
class ContractFacts:
    respondent_type: RespondentType
    signed_on: date
    payment_basis: PaymentBasis
    amount_owed_fen: int
    delivered_on: date | None = None
    inspection_period_days: int | None = None
    accepted_on: date | None = None
    settlement_confirmed_on: date | None = None
    agreed_term_days: int | None = None
    agreed_annual_rate_percent: Decimal | None = None
    back_to_back_clause: bool = False
    """The contract makes payment wait on (or follow) a third party's payment (背靠背条款)."""


@dataclass(frozen=True)
class Line:
    code: str
    en: str
    zh: str


@dataclass(frozen=True)
class Regulation:
    code: str
    name_zh: str
    name_en: str
    effective_on: date
    articles: dict[str, str]
    large_enterprise_default_term_days: int | None


@dataclass(frozen=True)
class LprFixing:
    published_on: date
    rate_percent: Decimal
    status: str


@dataclass(frozen=True)
class Interest:
    basis: InterestBasis
    annual_rate_percent: Decimal | None
    """The rate applied when it is an annual one (agreed, or the LPR floor)."""
    daily_rate: Decimal
    lpr: LprFixing | None
    interest_fen: int


@dataclass(frozen=True)
class Evaluation:
    regulation: Regulation
    term_days: int | None
    term_starts_on: date | None
    """The day the term is counted from (delivery, acceptance, its deadline, or settlement)."""
    due_on: date | None
    """The last day to pay; None while the term has not started (acceptance still in time)."""
    days_overdue: int
    interest: Interest | None
    explanation: list[Line] = field(default_factory=list)


def _invalid(code: str, en: str, zh: str, field_name: str) -> RuleViolation:
    return RuleViolation(code, en, zh, field=field_name)


@cache
def regulations() -> tuple[Regulation, ...]:
    raw = json.loads(resources.files(__package__).joinpath("data/regulations.json").read_text())
    return tuple(
        sorted(
            (
                Regulation(
                    code=v["code"],
                    name_zh=v["name_zh"],
                    name_en=v["name_en"],
                    effective_on=date.fromisoformat(v["effective_on"]),
                    articles=dict(v["articles"]),
                    large_enterprise_default_term_days=v["large_enterprise_default_term_days"],
                )
                for v in raw["versions"]
            ),
            key=lambda r: r.effective_on,
        )
    )


@dataclass(frozen=True)
class LprTable:
    fixings: tuple[LprFixing, ...]
    valid_through: date

    def on(self, day: date) -> LprFixing:
        """The fixing in force on ``day`` (the latest published on or before it)."""
        if day > self.valid_through or day < self.fixings[0].published_on:
            raise _invalid(
                "lpr_not_known",
                f"The 1-year LPR table covers {self.fixings[0].published_on} to "
                f"{self.valid_through}; {day} is outside it (the rate is never guessed)",
                f"1年期LPR数据表覆盖 {self.fixings[0].published_on} 至 {self.valid_through}，"
                f"{day} 不在其中（不推测利率）",
                "contract_signed_on",
            )
        return [f for f in self.fixings if f.published_on <= day][-1]


@cache
def lpr_table() -> LprTable:
    raw = json.loads(resources.files(__package__).joinpath("data/lpr.json").read_text())
    fixings = tuple(
        sorted(
            (
                LprFixing(
                    published_on=date.fromisoformat(f["published_on"]),
                    rate_percent=Decimal(f["rate_percent"]),
                    status=f["status"],
                )
                for f in raw["fixings"]
            ),
            key=lambda f: f.published_on,
        )
    )
    return LprTable(fixings, date.fromisoformat(raw["valid_through"]))


def regulation_on(signed_on: date) -> Regulation:
    """The version in force on the signing date (the contract's date decides, like its size)."""
    in_force = [r for r in regulations() if r.effective_on <= signed_on]
    if not in_force:
        first = regulations()[0]
        raise _invalid(
            "regulation_not_in_force",
            f"The payment regulation is in force from {first.effective_on}; a contract signed on "
            f"{signed_on} is not under it",
            f"《保障中小企业款项支付条例》自 {first.effective_on} 起施行，{signed_on} 订立的合同不适用",
            "contract_signed_on",
        )
    return in_force[-1]


def _require(value: date | None, field_name: str, en: str, zh: str) -> date:
    if value is None:
        raise _invalid(f"{field_name}_required", en, zh, field_name)
    return value


def _term(facts: ContractFacts, reg: Regulation, lines: list[Line]) -> int:
    public = facts.respondent_type is not RespondentType.LARGE_ENTERPRISE
    agreed = facts.agreed_term_days
    if public:
        art = reg.articles["public_term"]
        if agreed is None:
            lines.append(
                Line(
                    "term_public_default",
                    f"Government body or public institution: {PUBLIC_DEFAULT_TERM_DAYS} days "
                    f"({art})",
                    f"机关、事业单位：{PUBLIC_DEFAULT_TERM_DAYS}日内支付（{art}）",
                )
            )
            return PUBLIC_DEFAULT_TERM_DAYS
        if agreed > PUBLIC_MAX_TERM_DAYS:
            lines.append(
                Line(
                    "term_public_capped",
                    f"The agreed {agreed} days exceed the maximum of {PUBLIC_MAX_TERM_DAYS}; "
                    f"{PUBLIC_MAX_TERM_DAYS} apply ({art})",
                    f"约定的{agreed}日超过最长{PUBLIC_MAX_TERM_DAYS}日，按{PUBLIC_MAX_TERM_DAYS}日"
                    f"计（{art}）",
                )
            )
            return PUBLIC_MAX_TERM_DAYS
        lines.append(
            Line(
                "term_public_agreed",
                f"Agreed term of {agreed} days, within the maximum of {PUBLIC_MAX_TERM_DAYS} ({art})",
                f"合同约定{agreed}日，未超过最长{PUBLIC_MAX_TERM_DAYS}日（{art}）",
            )
        )
        return agreed
    art = reg.articles["large_term"]
    if facts.back_to_back_clause:
        if reg.large_enterprise_default_term_days is not None:
            lines.append(
                Line(
                    "back_to_back_forbidden",
                    f"A clause making payment wait on a third party's payment is forbidden ({art}); "
                    "it does not delay the due date",
                    f"不得约定以收到第三方付款作为付款条件或按第三方付款进度比例支付（{art}），"
                    "该约定不推迟付款期限",
                )
            )
        else:
            lines.append(
                Line(
                    "back_to_back_noted",
                    f"Back-to-back clause noted; {reg.name_en} has no express ban, the officer judges "
                    f"whether the term is reasonable ({art})",
                    f"注意背靠背条款；{reg.name_zh}未明文禁止，由经办人员判断付款期限是否合理（{art}）",
                )
            )
    if agreed is not None:
        lines.append(
            Line(
                "term_large_agreed",
                f"Large enterprise: the agreed term of {agreed} days applies; it must be reasonable "
                f"by industry practice ({art})",
                f"大型企业：按合同约定的{agreed}日，应当按照行业规范、交易习惯合理约定（{art}）",
            )
        )
        default = reg.large_enterprise_default_term_days
        if default is not None and agreed > default:
            lines.append(
                Line(
                    "term_large_longer_than_default",
                    f"The agreed term is longer than the statutory {default} days: check that it "
                    "is reasonable",
                    f"约定期限长于法定的{default}日，请核查其是否合理",
                )
            )
        return agreed
    default = reg.large_enterprise_default_term_days
    if default is None:
        raise _invalid(
            "agreed_term_required",
            f"{reg.name_en} sets no term for large enterprises ({art}): give the agreed term",
            f"{reg.name_zh}未规定大型企业的付款期限（{art}），请填写合同约定的付款期限",
            "agreed_term_days",
        )
    lines.append(
        Line(
            "term_large_default",
            f"Large enterprise: {default} days from delivery ({art})",
            f"大型企业：自交付之日起{default}日内支付（{art}）",
        )
    )
    return default


def _start(facts: ContractFacts, reg: Regulation, as_of: date, lines: list[Line]) -> date | None:
    if facts.payment_basis is PaymentBasis.SETTLEMENT:
        art = reg.articles["settlement"]
        confirmed = _require(
            facts.settlement_confirmed_on,
            "settlement_confirmed_on",
            "Settlement-based payment: give the day both parties confirmed the amount",
            "结算付款：请填写双方确认结算金额之日",
        )
        lines.append(
            Line(
                "start_settlement",
                f"Progress or periodic settlement: the term runs from {confirmed}, when the "
                f"amount was confirmed ({art})",
                f"履行进度结算、定期结算：付款期限自双方确认结算金额之日 {confirmed} 起算（{art}）",
            )
        )
        return confirmed
    delivered = _require(
        facts.delivered_on,
        "delivered_on",
        "Give the day the goods, works or services were delivered",
        "请填写货物、工程、服务交付之日",
    )
    if facts.payment_basis is PaymentBasis.DELIVERY:
        lines.append(
            Line(
                "start_delivery",
                f"The term runs from delivery on {delivered}",
                f"付款期限自交付之日 {delivered} 起算",
            )
        )
        return delivered
    art = reg.articles["acceptance"]
    period = facts.inspection_period_days
    if period is None:
        if facts.accepted_on is None:
            raise _invalid(
                "inspection_period_required",
                f"Payment on acceptance: without an agreed inspection period and before "
                f"acceptance the term cannot start ({art}); give the period",
                f"以检验或验收合格为付款条件：未约定检验/验收期限且尚未验收，付款期限无法起算"
                f"（{art}），请填写约定的期限",
                "inspection_period_days",
            )
        deadline = None
    else:
        deadline = delivered + timedelta(days=period)
    accepted = facts.accepted_on
    if accepted is not None and accepted < delivered:
        raise _invalid(
            "accepted_before_delivery",
            "Acceptance cannot precede delivery",
            "验收日期不能早于交付日期",
            "accepted_on",
        )
    if accepted is not None and (deadline is None or accepted <= deadline):
        lines.append(
            Line(
                "start_acceptance",
                f"Payment on acceptance: the term runs from acceptance on {accepted} ({art})",
                f"以检验或验收合格为付款条件：付款期限自验收合格之日 {accepted} 起算（{art}）",
            )
        )
        return accepted
    assert deadline is not None
    if accepted is None and as_of <= deadline:
        lines.append(
            Line(
                "start_pending_acceptance",
                f"Acceptance is still within the agreed period ending {deadline}: the term has "
                f"not started ({art})",
                f"仍在约定的检验/验收期限内（至 {deadline}）：付款期限尚未起算（{art}）",
            )
        )
        return None
    lines.append(
        Line(
            "start_acceptance_delayed",
            f"Acceptance was not done within the agreed {period} days: the term runs from the "
            f"end of that period, {deadline} ({art})",
            f"未在约定的{period}日检验/验收期限内完成验收，视为拖延验收：付款期限自约定期限届满之日 "
            f"{deadline} 起算（{art}）",
        )
    )
    return deadline


def _fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _interest(facts: ContractFacts, reg: Regulation, days: int, lines: list[Line]) -> Interest:
    art = reg.articles["interest"]
    amount = Decimal(facts.amount_owed_fen)
    agreed = facts.agreed_annual_rate_percent
    if agreed is None:
        interest = _fen(amount * STATUTORY_DAILY_RATE * days)
        lines.append(
            Line(
                "interest_statutory",
                f"No agreed rate: 0.05% a day ({art}): {facts.amount_owed_fen} fen × 0.0005 × "
                f"{days} days = {interest} fen (rounded half up to the fen)",
                f"未约定利率，按每日利率万分之五（{art}）：{facts.amount_owed_fen}分 × 0.0005 × "
                f"{days}日 = {interest}分（四舍五入到分）",
            )
        )
        return Interest(InterestBasis.STATUTORY_DAILY, None, STATUTORY_DAILY_RATE, None, interest)
    lpr = lpr_table().on(facts.signed_on)
    floor = agreed < lpr.rate_percent
    rate = lpr.rate_percent if floor else agreed
    daily = (rate / 100 / DAY_COUNT_BASIS).quantize(Decimal("1e-12"))
    interest = _fen(amount * rate * days / (100 * DAY_COUNT_BASIS))
    if floor:
        lines.append(
            Line(
                "interest_lpr_floor",
                f"The agreed {agreed}% a year is below the 1-year LPR of {lpr.rate_percent}% in "
                f"force at signing (published {lpr.published_on}); the LPR applies ({art})",
                f"约定年利率{agreed}%低于合同订立时的1年期LPR {lpr.rate_percent}%"
                f"（{lpr.published_on} 公布），按LPR计（{art}）",
            )
        )
    else:
        lines.append(
            Line(
                "interest_agreed",
                f"Agreed rate {agreed}% a year, not below the 1-year LPR of {lpr.rate_percent}% at "
                f"signing (published {lpr.published_on}) ({art})",
                f"约定年利率{agreed}%，不低于合同订立时的1年期LPR {lpr.rate_percent}%"
                f"（{lpr.published_on} 公布）（{art}）",
            )
        )
    if lpr.status != "verified_secondary":
        lines.append(
            Line(
                "lpr_unverified",
                f"The LPR of {lpr.published_on} in the table is not yet checked against the "
                "published announcement",
                f"数据表中 {lpr.published_on} 的LPR尚未与官方公告核对",
            )
        )
    lines.append(
        Line(
            "interest_annual",
            f"{facts.amount_owed_fen} fen × {rate}% ÷ {DAY_COUNT_BASIS} × {days} days = "
            f"{interest} fen (daily rate = annual ÷ {DAY_COUNT_BASIS}; rounded half up)",
            f"{facts.amount_owed_fen}分 × {rate}% ÷ {DAY_COUNT_BASIS} × {days}日 = {interest}分"
            f"（日利率 = 年利率 ÷ {DAY_COUNT_BASIS}；四舍五入到分）",
        )
    )
    return Interest(
        InterestBasis.LPR_FLOOR if floor else InterestBasis.AGREED, rate, daily, lpr, interest
    )


# The input the term is counted from, named when its last day cannot be placed on the calendar.
_START_FIELD = {
    PaymentBasis.DELIVERY: "delivered_on",
    PaymentBasis.ACCEPTANCE: "accepted_on",
    PaymentBasis.SETTLEMENT: "settlement_confirmed_on",
}


def _last_day(
    facts: ContractFacts, start: date, term: int, calendar: WorkdayCalendar, lines: list[Line]
) -> date:
    """``start + term``, or the next working day when that is a day off (民法典 第二百零三条)."""
    counted = start + timedelta(days=term)
    try:
        last = calendar.next_workday(counted)
    except CalendarYearUnknown as unknown:
        raise _invalid(
            "calendar_year_unknown",
            f"The last day to pay ({counted}) may move if it is a day off (Civil Code art. 203), "
            f"and no working-day schedule is known for {unknown.year}: it is not guessed",
            f"付款期限最后一日（{counted}）如为法定休假日应顺延（民法典第二百零三条），"
            f"尚无 {unknown.year} 年的工作日安排，不作推测",
            _START_FIELD[facts.payment_basis],
        ) from None
    if last != counted:
        lines.append(
            Line(
                "due_moved_off_day_off",
                f"Day {term} after {start} is {counted}, a day off: the last day to pay is the "
                f"next working day, {last} (Civil Code art. 203)",
                f"{start} 后第{term}日为 {counted}，系法定休假日，以休假日结束的次日 {last} 为付款"
                "期限最后一日（民法典第二百零三条）",
            )
        )
    return last


def evaluate(facts: ContractFacts, as_of: date, calendar: WorkdayCalendar) -> Evaluation:
    """When payment fell due, the days overdue on ``as_of`` and the late interest to that day.

    ``calendar`` places the last day to pay on a working day (民法典 第二百零三条)."""
    reg = regulation_on(facts.signed_on)
    lines = [
        Line(
            "regulation",
            f"Contract signed {facts.signed_on}: {reg.name_en}, in force from {reg.effective_on}",
            f"合同订立于 {facts.signed_on}：适用{reg.name_zh}（{reg.effective_on} 起施行）",
        )
    ]
    term = _term(facts, reg, lines)
    start = _start(facts, reg, as_of, lines)
    if start is None:
        return Evaluation(reg, term, None, None, 0, None, lines)
    due = _last_day(facts, start, term, calendar, lines)
    days = max(0, (as_of - due).days)
    moved = due != start + timedelta(days=term)
    counted_en = f"{term} days counted from the day after {start}" + (", moved" if moved else "")
    counted_zh = f"自 {start} 次日起算{term}日" + ("，顺延" if moved else "")
    lines.append(
        Line(
            "due",
            f"Last day to pay: {due} ({counted_en}); on {as_of}, {days} days overdue",
            f"付款期限届满日：{due}（{counted_zh}）；截至 {as_of} 逾期{days}日",
        )
    )
    interest = _interest(facts, reg, days, lines) if days > 0 else None
    return Evaluation(reg, term, start, due, days, interest, lines)
