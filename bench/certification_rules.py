"""Certification rule engine benchmark (issue 8, performance target 1): evaluate N synthetic
applications in one process and print applications per second (target ≥ 5,000/s).

The applications are a deterministic mix of the three tiers, new applications and re-reviews,
filing dates on both sides of 2026-04-01 (so both national rule sets and the 117号 exception are
used), Gansu, Guizhou (with its overlay) and Hubei, and enterprises from weak to strong, some with
facts or confirmations missing and some with credit flags. Inputs are built before the clock
starts; the figure is pure evaluation (rule-set choice, every criterion, the explanation object).
``--export`` also times the JSON export of each explanation, separately.

    .venv/bin/python bench/certification_rules.py --applications 50000
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sme_certification.rules.domain import evaluate_application  # noqa: E402
from sme_certification.rules.facts import (  # noqa: E402
    Application,
    ApplicationKind,
    Award,
    AwardKind,
    AwardLevel,
    CreditFlag,
    EvaluationInput,
    HeldTitle,
    Level,
    ProductField,
    QualityItem,
    RdInstitutionLevel,
    Tier,
    YearFacts,
)
from sme_certification.rules.ruleset import load_catalog  # noqa: E402
from sme_common.ids import uscc_from_serial  # noqa: E402

WAN = 1_000_000
PROVINCES = ["620000", "620000", "520000", "420000"]
FILING_DAYS = [date(2025, 6, 1) + timedelta(days=d) for d in range(0, 700, 7)]  # to 2027-04


def line(text: str = "") -> None:
    print(text, flush=True)


def synthetic_year(rng: random.Random, year: int, revenue_wan: int, niche: int) -> YearFacts:
    revenue = revenue_wan * WAN
    known = rng.random() > 0.05  # a few enterprises have not filed every figure
    return YearFacts(
        year=year,
        employees=rng.randint(20, 900),
        operating_revenue_fen=revenue,
        main_business_revenue_fen=revenue * rng.randint(45, 100) // 100,
        rd_expense_fen=revenue * rng.randint(0, 120) // 1000,
        rd_staff=rng.randint(0, 150),
        total_assets_fen=revenue * rng.randint(80, 200) // 100,
        total_liabilities_fen=revenue * rng.randint(20, 120) // 100,
        net_profit_fen=revenue * rng.randint(-5, 15) // 100,
        ip_class1_high_value=rng.choice([0, 0, 0, 1]) if known else None,
        ip_class1_self_developed=rng.randint(0, 3),
        ip_class1=rng.randint(0, 9),
        ip_class1_own_top3=rng.randint(0, 6),
        ip_class2=rng.randint(0, 12),
        qualified_equity_raised_fen=rng.choice([0, 0, 0, 500 * WAN, 3000 * WAN]),
        niche_market_years=niche,
        digital_level=rng.randint(1, 4),
    )


def synthetic_application(serial: int, rng: random.Random) -> tuple[EvaluationInput, Application]:
    filed_on = rng.choice(FILING_DAYS)
    tier = rng.choice(list(Tier))
    kind = ApplicationKind.RE_REVIEW if rng.random() < 0.25 else ApplicationKind.NEW
    province = rng.choice(PROVINCES)
    level = Level.NATIONAL if tier is Tier.LITTLE_GIANT else Level.PROVINCIAL
    last = filed_on.year - 1
    revenue = rng.choice([600, 1500, 3000, 8000, 20_000])
    niche = rng.randint(1, 12)
    years = tuple(
        synthetic_year(rng, last - i, max(revenue * (100 - 4 * i) // 100, 1), max(niche - i, 0))
        for i in range(4)
    )
    issued = filed_on - timedelta(days=rng.randint(100, 1200))
    held = tuple(
        HeldTitle(t, Level.PROVINCIAL, issued, issued + timedelta(days=3 * 365 - 1))
        for t in (Tier.INNOVATIVE, Tier.SPECIALISED)
        if rng.random() < 0.7
    )
    flags = (
        (
            CreditFlag(
                rng.choice(["major_accident", "serious_dishonesty"]), filed_on - timedelta(days=400)
            ),
        )
        if rng.random() < 0.03
        else ()
    )
    awards = (
        (
            Award(
                AwardKind.SCIENCE_TECHNOLOGY,
                AwardLevel.PROVINCIAL,
                filed_on - timedelta(days=300),
                rng.randint(1, 6),
            ),
        )
        if rng.random() < 0.1
        else ()
    )
    confirmations = {
        item: rng.random() < 0.9
        for item in (
            "governance_sound",
            "core_business_information_system",
            "ip_in_use",
            "key_chain_position",
            "market_position",
            "not_champion_or_group_giant",
            "digital_tools",
            "niche_leadership",
        )
        if rng.random() < 0.9
    }
    facts = EvaluationInput(
        uscc=uscc_from_serial(serial),
        years=years,
        size_class=rng.choice(["small", "medium", "medium", "micro", "large"]),
        flags=flags,
        held_titles=held,
        awards=awards,
        rd_institution_level=rng.choice(list(RdInstitutionLevel)),
        leading_product_fields=frozenset(rng.sample(list(ProductField), rng.randint(0, 3))),
        quality_items=frozenset(rng.sample(list(QualityItem), rng.randint(0, 5))),
        market_share_ratio=Decimal(rng.randint(0, 300)) / 1000,
        domestic_market_rank=rng.randint(1, 20),
        quality_scores={
            filed_on.year: Decimal(rng.randint(300, 950)) / 10,
            filed_on.year - 1: Decimal(rng.randint(300, 950)) / 10,
        },
        confirmations=confirmations,
    )
    return facts, Application(tier, kind, level, filed_on, province)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=3, help="timed rounds; the median is reported"
    )
    parser.add_argument("--export", action="store_true", help="also time the JSON export")
    args = parser.parse_args()

    started = time.perf_counter()
    catalog = load_catalog()
    line(f"rule documents loaded and compiled in {time.perf_counter() - started:.3f} s")
    rng = random.Random(args.seed)
    applications = [synthetic_application(i, rng) for i in range(args.applications)]
    line(f"{len(applications):,} synthetic applications built")

    outcomes: Counter[str] = Counter()
    rule_sets: Counter[str] = Counter()
    for facts, application in applications[:20_000]:
        explanation = evaluate_application(facts, application, catalog)
        outcomes[explanation.outcome.value] += 1
        rule_sets[explanation.rule_set.id + "".join(f"+{o.id}" for o in explanation.overlays)] += 1
    line("mix (first 20,000): " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    line("rule sets: " + ", ".join(f"{k} {v}" for k, v in sorted(rule_sets.items())))

    rates = []
    gc.collect()
    for round_ in range(1, args.rounds + 1):
        started = time.perf_counter()
        for facts, application in applications:
            evaluate_application(facts, application, catalog)
        elapsed = time.perf_counter() - started
        rates.append(len(applications) / elapsed)
        line(
            f"round {round_}: {len(applications):,} evaluations in {elapsed:.2f} s = {rates[-1]:,.0f}/s"
        )
    median = sorted(rates)[len(rates) // 2]
    verdict = "met" if median >= 5_000 else "MISSED"
    line(
        f"evaluation: {median:,.0f} applications/second (median of {args.rounds}; target ≥ 5,000: {verdict})"
    )

    if args.export:
        started = time.perf_counter()
        size = 0
        for facts, application in applications:
            size += len(evaluate_application(facts, application, catalog).to_json())
        elapsed = time.perf_counter() - started
        line(
            f"evaluation + JSON export: {len(applications) / elapsed:,.0f}/s "
            f"(mean explanation {size / len(applications) / 1024:.1f} KiB)"
        )


if __name__ == "__main__":
    main()
