"""The policy book: the shipped data loads, and malformed data fails at load naming the file and
the policy."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from sme_funding.policies.book import PolicyDataError, load_book, packaged_documents, parse_book
from sme_funding.policies.domain import FixedAmount, PerUnit, StackingKind, TriggerKind

Document = dict[str, Any]


def shipped() -> dict[str, Document]:
    return {name: json.loads(text) for name, text in packaged_documents()}


def parse(documents: dict[str, Document]) -> None:
    parse_book((name, json.dumps(doc, ensure_ascii=False)) for name, doc in documents.items())


def test_the_shipped_book_loads_three_provinces() -> None:
    book = load_book()
    assert {p.province_code for p in book.policies} == {"620000", "520000", "420000"}
    assert {name for name, _ in packaged_documents()} == {
        "gansu.json",
        "guizhou.json",
        "hubei.json",
    }
    for policy in book.policies:
        assert policy.citations and all(c.document and c.article for c in policy.citations)
    configurable = {
        p.code for p in book.policies if isinstance(p.amount, FixedAmount) and p.amount.configurable
    }
    assert configurable == {"GZ-XJR-PROV", "GZ-XJR-NATIONAL", "HB-XJR-RE-REVIEW"}
    assert all(book.get(code) is not None and book.get(code).unverified for code in configurable)  # type: ignore[union-attr]
    assert not book.get("GS-ZJTX-PROV-FIRST").unverified  # type: ignore[union-attr]


def test_stacking_rules_belong_to_pairs() -> None:
    book = load_book()
    kinds = {(rule.policies, rule.kind) for rule in book.stacking}
    assert (("GS-ZJTX-PROV-FIRST", "GS-XJR-NATIONAL"), StackingKind.STACK) in kinds
    assert (("GZ-XJR-PROV", "GZ-XJR-NATIONAL"), StackingKind.HIGHEST_ONLY) in kinds
    assert (("GS-ZJTX-PROV-FIRST", "GS-ZJTX-PROV-FIRST"), StackingKind.FIRST_TIME_ONLY) in kinds
    assert not any(rule.involves("HB-XJR-RE-REVIEW") for rule in book.stacking)


def test_versions_are_picked_by_date() -> None:
    book = load_book()
    assert [p.version for p in book.versions("GS-ZJTX-PROV-FIRST")] == ["2018", "2023"]
    assert book.get("GS-ZJTX-PROV-FIRST", date(2019, 1, 1)).version == "2018"  # type: ignore[union-attr]
    assert book.get("GS-ZJTX-PROV-FIRST", date(2022, 1, 1)) is None
    assert book.get("GS-ZJTX-PROV-FIRST").version == "2023"  # type: ignore[union-attr]
    assert book.get("NO-SUCH-POLICY") is None
    grants = book.policies_for(TriggerKind.CERTIFICATE_GRANTED, "620000", date(2024, 1, 1))
    assert [(p.code, p.version) for p in grants] == [
        ("GS-XJR-NATIONAL", "2023"),
        ("GS-ZJTX-PROV-FIRST", "2023"),
    ]


def _policy(doc: Document, code: str, version: str | None = None) -> Document:
    for policy in doc["policies"]:
        if policy["code"] == code and (version is None or policy["version"] == version):
            return policy  # type: ignore[no-any-return]
    raise AssertionError(code)


def _set(
    path: list[str], value: Any, code: str = "GS-ZJTX-PROV-FIRST"
) -> Callable[[dict[str, Document]], None]:
    def mutate(docs: dict[str, Document]) -> None:
        target = _policy(docs["gansu.json"], code, "2023")
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _overlap(docs: dict[str, Document]) -> None:
    _policy(docs["gansu.json"], "GS-ZJTX-PROV-FIRST", "2018")["effective_to"] = "2023-06-30"


def _unknown_stacking(docs: dict[str, Document]) -> None:
    docs["gansu.json"]["stacking"][0]["policies"] = ["GS-ZJTX-PROV-FIRST", "GS-NOPE"]


def _self_pair_highest(docs: dict[str, Document]) -> None:
    docs["gansu.json"]["stacking"][1]["kind"] = "highest_only"


def _duplicate_pair(docs: dict[str, Document]) -> None:
    docs["gansu.json"]["stacking"].append(copy.deepcopy(docs["gansu.json"]["stacking"][0]))


def _same_version_twice(docs: dict[str, Document]) -> None:
    _policy(docs["gansu.json"], "GS-ZJTX-PROV-FIRST", "2018")["version"] = "2023"


def _extra_field(docs: dict[str, Document]) -> None:
    _policy(docs["gansu.json"], "GS-XJR-NATIONAL", "2023")["amount"]["bonus_fen"] = 1


@pytest.mark.parametrize(
    ("mutate", "policy", "message"),
    [
        (_set(["trigger", "tier"], "specialized"), "GS-ZJTX-PROV-FIRST", "trigger.tier"),
        (_set(["trigger", "level"], "city"), "GS-ZJTX-PROV-FIRST", "trigger.level"),
        (_set(["amount", "amount_fen"], -30000000), "GS-ZJTX-PROV-FIRST", "amount_fen"),
        (_set(["amount", "amount_fen"], 300000.5), "GS-ZJTX-PROV-FIRST", "amount_fen"),
        (_set(["amount", "amount_fen"], "30000000"), "GS-ZJTX-PROV-FIRST", "amount_fen"),
        (
            _set(["amount"], {"kind": "share_of_spend", "rate_ratio": "0.1"}),
            "GS-ZJTX-PROV-FIRST",
            "cannot take",
        ),
        (_set(["citations"], []), "GS-ZJTX-PROV-FIRST", "citations"),
        (_set(["effective_from"], "2023-02-30"), "GS-ZJTX-PROV-FIRST", "effective_from"),
        (_set(["effective_to"], "2023-01-01"), "GS-ZJTX-PROV-FIRST", "before effective_from"),
        (_set(["province_code"], "520000"), "GS-ZJTX-PROV-FIRST", "not the file's"),
        (_set(["payee_kind"], "bank"), "GS-ZJTX-PROV-FIRST", "payee_kind"),
        (_set(["trigger", "project_kind"], "rd_platform"), "GS-ZJTX-PROV-FIRST", "project_kind"),
        (_set(["effective_from"], "2017-01-01"), "GS-ZJTX-PROV-FIRST", "outside the file's"),
        (_extra_field, "GS-XJR-NATIONAL", "bonus_fen"),
        (_overlap, "GS-ZJTX-PROV-FIRST", "overlap"),
        (_same_version_twice, "GS-ZJTX-PROV-FIRST", "twice"),
        (_unknown_stacking, "GS-NOPE", "does not exist"),
        (_self_pair_highest, "GS-ZJTX-PROV-FIRST", "with itself"),
        (_duplicate_pair, "GS-ZJTX-PROV-FIRST", "two stacking rules"),
    ],
)
def test_malformed_data_fails_at_load_naming_file_and_policy(
    mutate: Callable[[dict[str, Document]], None], policy: str, message: str
) -> None:
    docs = shipped()
    parse(docs)  # the unmodified data loads
    mutate(docs)
    with pytest.raises(PolicyDataError) as failed:
        parse(docs)
    assert failed.value.file == "gansu.json"
    assert failed.value.policy == policy
    assert message in str(failed.value)
    assert str(failed.value).startswith(f"gansu.json: policy {policy}")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rate_ratio", 0.1, "string"),
        ("rate_ratio", "1.5", "rate_ratio"),
        ("rate_ratio", "ten", "not a decimal"),
        ("rate_ratio", "NaN", "rate_ratio"),
        ("max_rate_ratio", "0.05", "below rate_ratio"),
        ("cap_fen", 0, "cap_fen"),
    ],
)
def test_malformed_rates_fail_at_load(field: str, value: Any, message: str) -> None:
    docs = shipped()
    _policy(docs["hubei.json"], "HB-RD-PLATFORM")["amount"][field] = value
    with pytest.raises(PolicyDataError) as failed:
        parse(docs)
    assert (failed.value.file, failed.value.policy) == ("hubei.json", "HB-RD-PLATFORM")
    assert message in str(failed.value)


def test_broken_json_and_file_level_errors_name_the_file() -> None:
    with pytest.raises(PolicyDataError) as failed:
        parse_book([("broken.json", '{"province_code": "620000",')])
    assert failed.value.file == "broken.json" and failed.value.policy is None
    docs = shipped()
    del docs["hubei.json"]["version"]
    with pytest.raises(PolicyDataError) as failed:
        parse(docs)
    assert failed.value.file == "hubei.json" and "version" in str(failed.value)


def test_a_new_policy_is_added_as_data() -> None:
    """A province re-enacts 规下转规上 as a new version: no code changes."""
    docs = shipped()
    renewed = copy.deepcopy(_policy(docs["gansu.json"], "GS-GUIXIA-ZHUAN-GUISHANG"))
    renewed.update(version="2027", effective_from="2027-01-01", effective_to="2029-12-31")
    renewed["amount"]["unit_amount_fen"] = 20000000
    docs["gansu.json"]["policies"].append(renewed)
    book = parse_book((n, json.dumps(d, ensure_ascii=False)) for n, d in docs.items())
    [found] = book.policies_for(TriggerKind.UNIT_COUNT, "620000", date(2028, 5, 1))
    assert found.version == "2027"
    assert found.amount == PerUnit(unit_amount_fen=20000000)
