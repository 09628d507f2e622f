"""The file layout of imports and exports (CSV and XLSX), and turning cells into typed values.

Money columns are in yuan with at most two decimals (the unit people keep in their spreadsheets);
they are converted to integer fen exactly. The header row names the columns; their order is free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sme_common.money import yuan_to_fen
from sme_common.text import TextError, clean_text, normalize_code

ENTERPRISE_COLUMNS = (
    "uscc",
    "name",
    "legal_representative",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
)
FACT_COUNT_COLUMNS = (
    "employees",
    "rd_staff",
    "ip_class1_high_value",
    "ip_class1_self_developed",
    "ip_class1",
    "ip_class2",
    "niche_market_years",
    "digital_level",
)
FACT_MONEY_COLUMNS = (
    "operating_revenue",
    "main_business_revenue",
    "rd_expense",
    "total_assets",
    "total_liabilities",
    "net_profit",
    "qualified_equity_raised",
)
FACT_TEXT_COLUMNS = ("leading_product", "leading_product_field")
IMPORT_COLUMNS = (
    *ENTERPRISE_COLUMNS,
    "year",
    *FACT_COUNT_COLUMNS,
    *(f"{c}_yuan" for c in FACT_MONEY_COLUMNS),
    *FACT_TEXT_COLUMNS,
)
REQUIRED_COLUMNS = ("uscc", "name", "region_code")
# Column titles for people, in the template's second header line of the XLSX sheet.
TITLES_ZH = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "legal_representative": "法定代表人",
    "region_code": "注册地行政区划代码",
    "reporting_unit_code": "所属市州代码（兰州新区填620171）",
    "industry_code": "国民经济行业代码",
    "founded_on": "成立日期",
    "operating_status": "经营状态",
    "year": "数据年度",
    "employees": "从业人员数",
    "rd_staff": "研发人员数",
    "ip_class1_high_value": "Ⅰ类高价值知识产权数",
    "ip_class1_self_developed": "自主研发Ⅰ类知识产权数",
    "ip_class1": "Ⅰ类知识产权数",
    "ip_class2": "Ⅱ类知识产权数",
    "niche_market_years": "从事细分市场年限",
    "digital_level": "数字化水平等级",
    "operating_revenue_yuan": "营业收入（元）",
    "main_business_revenue_yuan": "主营业务收入（元）",
    "rd_expense_yuan": "研发费用（元）",
    "total_assets_yuan": "资产总额（元）",
    "total_liabilities_yuan": "负债总额（元）",
    "net_profit_yuan": "净利润（元）",
    "qualified_equity_raised_yuan": "合格机构投资者股权融资（元）",
    "leading_product": "主导产品",
    "leading_product_field": "主导产品所属领域",
}
_YUAN = re.compile(r"^-?\d{1,15}(\.\d{1,2})?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CODE_COLUMNS = ("uscc", "region_code", "reporting_unit_code", "industry_code", "operating_status")


@dataclass(frozen=True)
class CellError:
    field: str
    code: str
    detail: str
    detail_zh: str


def neutralise(value: Any) -> Any:
    """Spreadsheet formula injection: a text cell starting with = + - @ (or a tab or CR) is
    prefixed with an apostrophe, so Excel shows it as text instead of evaluating it. Numbers and
    dates are left alone (a negative number is not a formula). Text that already starts with
    apostrophes before such a character gets one more, so that ``unneutralise`` gives it back
    exactly."""
    if isinstance(value, str) and value.lstrip("'").startswith(_FORMULA_START):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """The inverse of ``neutralise``: an exported cell imports back as the value it was."""
    if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_START):
        return text[1:]
    return text


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def _clean(column: str, raw: Any, errors: list[CellError]) -> str | None:
    """A text cell as the register stores it (sme_common.text): the exporter's apostrophe
    removed, control and format characters refused, NFC; codes upper-case and half-width."""
    text = _text(raw)
    if text is None:
        return None
    try:
        cleaned = clean_text(unneutralise(text))
    except TextError as exc:
        errors.append(CellError(column, exc.code, exc.detail, exc.detail_zh))
        return None
    if column in CODE_COLUMNS:
        cleaned = normalize_code(cleaned)
        # Operating status is an enum of lower-case words, not a code to upper-case.
        if column == "operating_status":
            cleaned = cleaned.lower()
    return cleaned or None


def _date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    raise ValueError


def parse_cells(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[CellError]]:
    """Typed values of one row, or the cells that could not be read."""
    values: dict[str, Any] = {}
    errors: list[CellError] = []
    for column in ENTERPRISE_COLUMNS + FACT_TEXT_COLUMNS:
        values[column] = _clean(column, record.get(column), errors)
    for column in REQUIRED_COLUMNS:
        if values.get(column) is None and not any(e.field == column for e in errors):
            errors.append(
                CellError(
                    column, "missing", f"{column} is required", f"{TITLES_ZH[column]}不能为空"
                )
            )
    raw_founded = record.get("founded_on")
    if isinstance(raw_founded, date):
        values["founded_on"] = _date(raw_founded)
    elif values["founded_on"] is not None:
        try:
            values["founded_on"] = date.fromisoformat(values["founded_on"][:10])
        except ValueError:
            errors.append(
                CellError(
                    "founded_on",
                    "date_invalid",
                    "founded_on must be YYYY-MM-DD",
                    "成立日期格式应为 YYYY-MM-DD",
                )
            )
    for column in ("year", *FACT_COUNT_COLUMNS):
        text = _clean(column, record.get(column), errors)
        if text is None:
            values[column] = None
            continue
        try:
            values[column] = int(text)
        except ValueError:
            errors.append(
                CellError(
                    column,
                    "integer_invalid",
                    f"{column} must be a whole number",
                    f"{TITLES_ZH[column]}应为整数",
                )
            )
    for column in FACT_MONEY_COLUMNS:
        text = _clean(f"{column}_yuan", record.get(f"{column}_yuan"), errors)
        if text is None:
            values[f"{column}_fen"] = None
            continue
        text = text.replace(",", "")
        try:
            if not _YUAN.match(text):
                raise InvalidOperation
            values[f"{column}_fen"] = yuan_to_fen(Decimal(text))
        except InvalidOperation:
            errors.append(
                CellError(
                    f"{column}_yuan",
                    "amount_invalid",
                    f"{column}_yuan must be yuan with at most two decimals",
                    f"{TITLES_ZH[column + '_yuan']}应为最多两位小数的金额（元）",
                )
            )
    return values, errors


def fen_to_yuan(fen: int) -> Decimal:
    """An amount as the file carries it: a number of yuan with two decimals (exact)."""
    return Decimal(fen).scaleb(-2).quantize(Decimal("0.01"))


def column_of(field: str) -> str:
    """The file column of a field of the API models or the rules (``*_fen`` → ``*_yuan``)."""
    return field.removesuffix("_fen") + "_yuan" if field.endswith("_fen") else field


def has_facts(values: Mapping[str, Any]) -> bool:
    return values.get("year") is not None
