"""Deterministic synthetic enterprises with yearly facts, as an import CSV (streamed to disk)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from sme_common.ids import uscc_from_serial

COUNTIES = [
    "620102",
    "620103",
    "620104",
    "620105",
    "620111",
    "620121",
    "620122",
    "620123",
    "620302",
    "620402",
    "620403",
    "620502",
    "620503",
    "620602",
    "620702",
    "620802",
    "620902",
    "621002",
    "621102",
    "621202",
    "622901",
    "623001",
    "620201",
]
PLACES = [
    "兰州",
    "嘉峪关",
    "金昌",
    "白银",
    "天水",
    "武威",
    "张掖",
    "平凉",
    "酒泉",
    "庆阳",
    "定西",
    "陇南",
    "临夏",
    "甘南",
    "陇原",
    "河西",
    "丝路",
    "敦煌",
]
BRAND_CHARS = (
    "华信恒泰瑞丰宏达金鑫源盛隆昌永兴鼎新创博远航海天正元康宁德福祥和安泰荣辉明晟"
    "中联宇通浩宸睿智聚力卓越腾飞宝利星光启航嘉诚汇通凯达锦程"
)
TRADES = [
    "机械制造",
    "新材料",
    "电子科技",
    "生物医药",
    "化工",
    "食品",
    "软件",
    "农业科技",
    "能源",
    "建材",
    "精密仪器",
    "环保科技",
    "冶金",
    "光电",
    "数据服务",
]
INDUSTRIES = [
    "C3411",
    "C3911",
    "C2614",
    "C2710",
    "C1310",
    "C3032",
    "I6510",
    "I6520",
    "A0111",
    "E4710",
    "F5171",
    "G5430",
    "L7212",
    "M7320",
    "C3562",
]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "科技有限公司"]
HEADER = [
    "uscc",
    "name",
    "region_code",
    "industry_code",
    "founded_on",
    "year",
    "employees",
    "operating_revenue_yuan",
    "main_business_revenue_yuan",
    "rd_expense_yuan",
    "rd_staff",
    "total_assets_yuan",
    "total_liabilities_yuan",
    "net_profit_yuan",
]


def name_for(rng: random.Random) -> str:
    brand = "".join(rng.choice(BRAND_CHARS) for _ in range(2))
    return f"{rng.choice(PLACES)}{brand}{rng.choice(TRADES)}{rng.choice(SUFFIXES)}"


def write_csv(path: Path, count: int, seed: int = 2026) -> list[str]:
    """Writes ``count`` enterprises with 2025 facts; returns a sample of their names."""
    rng = random.Random(seed)
    sample: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for serial in range(count):
            county = COUNTIES[serial % len(COUNTIES)]
            name = name_for(rng)
            employees = rng.randint(3, 900)
            revenue = rng.randint(50, 60_000) * 10_000
            assets = rng.randint(100, 80_000) * 10_000
            rd_staff = rng.randint(0, max(employees // 5, 1))
            writer.writerow(
                [
                    uscc_from_serial(serial, region=county),
                    name,
                    county,
                    rng.choice(INDUSTRIES),
                    f"{rng.randint(1995, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    2025,
                    employees,
                    f"{revenue}.00",
                    f"{revenue * 9 // 10}.00",
                    f"{revenue // 25}.00",
                    rd_staff,
                    f"{assets}.00",
                    f"{assets * 2 // 5}.00",
                    f"{revenue // 12}.00",
                ]
            )
            if serial % 997 == 0:
                sample.append(name)
    return sample
