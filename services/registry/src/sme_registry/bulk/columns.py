"""The file layout of imports and exports (CSV and XLSX), and turning cells into typed values.

Money columns are in yuan with at most two decimals (the unit people keep in their spreadsheets);
they are converted to integer fen exactly. The header row names the columns; their order is free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sme_common.money import yuan_to_fen

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


@dataclass(frozen=True)
class CellError:
    field: str
    code: str
    detail: str
    detail_zh: str


def neutralise(value: Any) -> Any:
    """Spreadsheet formula injection: a text cell starting with = + - @ (or a tab or CR) is
    prefixed with an apostrophe, so Excel shows it as text instead of evaluating it. Numbers and
    dates are left alone (a negative number is not a formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    return text or None


def parse_cells(record: Mapping[str, Any]) -> tuple[dict[str, Any], list[CellError]]:
    """Typed values of one row, or the cells that could not be read."""
    values: dict[str, Any] = {}
    errors: list[CellError] = []
    for column in ENTERPRISE_COLUMNS + FACT_TEXT_COLUMNS:
        values[column] = _text(record.get(column))
    for column in REQUIRED_COLUMNS:
        if values.get(column) is None:
            errors.append(
                CellError(
                    column, "missing", f"{column} is required", f"{TITLES_ZH[column]}不能为空"
                )
            )
    raw_founded = record.get("founded_on")
    if isinstance(raw_founded, date):
        values["founded_on"] = raw_founded
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
        text = _text(record.get(column))
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
        text = _text(record.get(f"{column}_yuan"))
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


def has_facts(values: Mapping[str, Any]) -> bool:
    return values.get("year") is not None
