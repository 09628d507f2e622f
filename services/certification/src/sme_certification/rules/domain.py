"""Certification rules (认定标准): choose the rule set for an application and evaluate it.

``evaluate_application(facts, application)`` picks the national rule set by tier, application kind
and filing date (``data/selection.json``, policy-facts §1.1), applies the province's overlay when
the title is provincial, and evaluates every criterion. The result is an ``Explanation``: each
criterion with the facts it read (year, value), the band and points for scoring rows, pass, fail or
unknown, and the rule set's id, version and fingerprint.

How the outcome is decided:

* every **exclusion** (credit flags, accidents in the last 3 years, the 3-year falsification ban),
  **general condition** (an SME under 300号), **prerequisite** (a valid lower title where the rule
  set asks for one) and **condition** must hold;
* where the tier has a **scoring table**, the score must reach its pass mark and every dimension
  its minimum, *or* one **direct route** (直通条件) must hold instead. If the score is not reached
  and a route holds, the outcome is ``passed_by_direct_route``;
* a criterion whose fact is missing is *unknown*; the outcome is ``undetermined`` only when the
  unknown criteria could still change it (three-valued logic, and the score's lower and upper
  bounds), and ``missing`` lists what would settle it.
"""

from __future__ import annotations

from sme_certification.rules.explanation import (
    CriterionResult,
    Explanation,
    Outcome,
    ScoreSummary,
)
from sme_certification.rules.facts import Application, EvaluationInput
from sme_certification.rules.metrics import DERIVED_METRICS
from sme_certification.rules.predicates import Context, all3, any3
from sme_certification.rules.ruleset import RuleCatalog, Selection, TierRules, load_catalog


def choose_rule_set(application: Application, catalog: RuleCatalog | None = None) -> Selection:
    """Which rule set (and overlays) an application is judged by; raises ``NoRuleSet``."""
    return (catalog or load_catalog()).select(application)


def evaluate_application(
    facts: EvaluationInput, application: Application, catalog: RuleCatalog | None = None
) -> Explanation:
    """Choose the rule set for the application and evaluate the enterprise's facts against it."""
    catalog = catalog or load_catalog()
    selection = catalog.select(application)
    rules = catalog.tier_rules(
        selection.rule_set_id, application.tier, application.kind, selection.overlay_ids
    )
    return evaluate(rules, facts, application, selected_by=selection.reason)


def evaluate(
    rules: TierRules, facts: EvaluationInput, application: Application, *, selected_by: str
) -> Explanation:
    """Evaluate facts against compiled tier rules (the caller chose them)."""
    ctx = Context(facts, application)
    gates: list[CriterionResult] = [
        criterion.evaluate(ctx)
        for group in (
            rules.exclusions,
            rules.general_conditions,
            rules.prerequisites,
            rules.conditions,
        )
        for criterion in group
    ]
    routes = [route.evaluate(ctx) for route in rules.direct_routes]
    score: ScoreSummary | None = None
    indicators: list[CriterionResult] = []
    if rules.score is not None:
        indicators, score = rules.score.evaluate(ctx)
        qualifies = any3([score.result, *(r.result for r in routes)])
    else:
        qualifies = True
    overall = all3([*(g.result for g in gates), qualifies])
    routes_met = tuple(r.id for r in routes if r.result is True)
    if overall is True:
        by_route = score is not None and score.result is not True and bool(routes_met)
        outcome = Outcome.PASSED_BY_DIRECT_ROUTE if by_route else Outcome.PASSED
    elif overall is False:
        outcome = Outcome.FAILED
    else:
        outcome = Outcome.UNDETERMINED
    reasons: list[str] = [g.id for g in gates if g.result is False]
    if qualifies is False:
        reasons.append("score")
    criteria = (*gates, *routes, *indicators)
    return Explanation(
        uscc=facts.uscc,
        tier=application.tier.value,
        kind=application.kind.value,
        level=application.level.value,
        province=application.province,
        filed_on=application.filed_on.isoformat(),
        rule_set=rules.rule_set,
        tier_source=rules.tier_source,
        overlays=rules.overlays,
        selected_by=selected_by,
        outcome=outcome,
        direct_routes_met=routes_met,
        criteria=criteria,
        score=score,
        missing=_missing(criteria) if outcome is Outcome.UNDETERMINED else (),
        reasons=tuple(reasons) if outcome is Outcome.FAILED else (),
    )


def _missing(criteria: tuple[CriterionResult, ...]) -> tuple[str, ...]:
    """The facts (name@year) and confirmations that unknown criteria could not read."""
    found: dict[str, None] = {}
    for criterion in criteria:
        if criterion.result is not None:
            continue
        for check in criterion.checks:
            if check.result is not None:
                continue
            for fact in check.facts:
                if fact.value is None and fact.name not in DERIVED_METRICS:
                    found[fact.name if fact.year is None else f"{fact.name}@{fact.year}"] = None
    return tuple(found)
