"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY``: registration authority (1), entity type (1),
registering authority's GB/T 2260 region (6), the GB 11714 organisation code (8 + its own check
character), and a final check character (policy-facts.md §4).

python-stdnum's ``cn.uscc.validate`` requires the first eight characters to be digits and so rejects
valid codes of letter authorities (A…, N…, Y…), and it does not check the embedded organisation code;
we validate ourselves (policy-facts.md §4.3).
"""

from __future__ import annotations

import re

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
"""The shape of a stored USCC (no check digits verified): paths, cursors, OpenAPI patterns."""
USCC_SHAPE = re.compile(USCC_PATTERN)
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, … (GB 32100-2015)
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714-1997
_ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# 登记管理部门代码 → the 机构类别代码 it may issue (GB 32100-2015 附录; policy-facts.md §4.1).
ENTITY_TYPES: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 中央编办直管群众团体, 其他
    "2": frozenset("19"),  # 外交: 外国常驻新闻机构, 其他
    "3": frozenset(
        "123459"
    ),  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": frozenset("19"),  # 文化: 外国在华文化中心, 其他
    "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 旅游: 外国旅游部门常驻代表机构, 港澳台旅游部门常驻内地代表机构, 其他
    "7": frozenset("129"),  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": frozenset("19"),  # 工会: 基层工会, 其他
    "9": frozenset("123"),  # 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": frozenset("1239"),  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": frozenset("1"),  # 其他
}
_SEPARATORS = re.compile(r"[\s\-]")


class UsccError(ValueError):
    """Why a code is not a valid USCC, in English and Chinese, with a stable ``reason``."""

    def __init__(self, reason: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.detail_zh = detail_zh


def normalize_uscc(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_character(first8: str) -> str:
    """GB 11714 check character of an organisation code body: 10 → 'X', 11 → '0'."""
    total = sum(_ORG_CHARSET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(value: str) -> str:
    """Return the normalised code, or raise ``UsccError`` saying what is wrong."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise UsccError(
            "length",
            f"must be 18 characters, got {len(code)}",
            f"统一社会信用代码应为 18 位，实际 {len(code)} 位",
        )
    bad = sorted({c for c in code if c not in USCC_CHARSET})
    if bad:
        raise UsccError(
            "character",
            f"characters not allowed: {''.join(bad)} (I, O, S, V, Z never occur)",
            f"统一社会信用代码含非法字符：{''.join(bad)}",
        )
    authority, entity_type = code[0], code[1]
    if authority not in ENTITY_TYPES:
        raise UsccError(
            "authority",
            f"'{authority}' is not a registration-authority code",
            f"登记管理部门代码 {authority} 无效",
        )
    if entity_type not in ENTITY_TYPES[authority]:
        raise UsccError(
            "entity_type",
            f"'{entity_type}' is not an entity type of authority '{authority}'",
            f"机构类别代码 {entity_type} 与登记管理部门代码 {authority} 不匹配",
        )
    if not code[2:8].isdigit():
        raise UsccError(
            "region",
            "characters 3–8 must be a six-digit GB/T 2260 region code",
            "第 3–8 位应为 6 位行政区划代码",
        )
    org_body, org_check = code[8:16], code[16]
    if not all(c in _ORG_CHARSET for c in org_body):
        raise UsccError(
            "org_code_check",
            "organisation code body has invalid characters",
            "组织机构代码本体含非法字符",
        )
    expected_org = org_code_check_character(org_body)
    if org_check != expected_org:
        raise UsccError(
            "org_code_check",
            f"organisation code check character should be '{expected_org}'",
            f"组织机构代码校验位错误，应为 {expected_org}",
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise UsccError(
            "check_character",
            f"check character should be '{expected}'",
            f"统一社会信用代码校验位错误，应为 {expected}",
        )
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except UsccError:
        return False
    return True


def make_uscc(
    *, authority: str = "9", entity_type: str = "1", region: str = "620100", body: str = "MA000000"
) -> str:
    """A valid code with both check characters computed (for tests, fixtures and benchmarks).

    ``body`` is the 8-character organisation-code body; letters I, O, S, V, Z are not allowed.
    """
    body = body.upper()
    if len(body) != 8 or any(c not in USCC_CHARSET for c in body):
        raise ValueError("body must be 8 characters from the USCC character set")
    first17 = f"{authority}{entity_type}{region}{body}{org_code_check_character(body)}"
    if any(c not in USCC_CHARSET for c in first17):
        raise ValueError("the organisation check character fell outside the USCC set")
    return first17 + uscc_check_character(first17)


def uscc_from_serial(serial: int, region: str = "620100") -> str:
    """Distinct valid enterprise codes (authority 9, type 1) for serials 0 … 10**8-1."""
    if not 0 <= serial < 10**8:
        raise ValueError("serial out of range")
    return make_uscc(region=region, body=f"{serial:08d}")
