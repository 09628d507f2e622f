"""Intake: the hotline's work order makes it idempotent; bad input is a problem+json and files
nothing; registry facts are recorded, known or not."""

from __future__ import annotations

import httpx

from services.complaints.tests.support import (
    API,
    COMPLAINANT,
    HOTLINE_SCOPES,
    RESPONDENT,
    complaint,
    register,
)
from sme_common.db import UnitOfWork
from sme_common.directory.consumers import SIZE_CLASS_CHANGED_V1, apply_directory_events
from sme_common.events.envelope import CloudEvent
from sme_common.testing.plugin import TokenFactory


def hotline(bearer: TokenFactory, client_id: str = "hotline-12345") -> dict[str, str]:
    return bearer("hotline", scopes=HOTLINE_SCOPES, client_id=client_id)


async def count_cases(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    listed = await client.get(f"{API}/cases", headers=headers)
    assert listed.status_code == 200, listed.text
    return len(listed.json()["items"])


async def test_every_caller_reads_the_category_catalogue(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    answer = await client.get(f"{API}/categories", headers=hotline(bearer))
    assert answer.status_code == 200, answer.text
    catalogue = answer.json()
    assert catalogue["version"] == "2026-1"
    assert any("802" in source for source in catalogue["sources"])
    codes = {c["code"] for c in catalogue["items"]}
    assert {"overdue_goods", "overdue_works", "overdue_services"} <= codes
    assert any(
        f["field"] == "complainant.uscc" and f["required"] for f in catalogue["common_fields"]
    )


async def test_the_same_work_order_twice_is_one_case(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    first = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    assert first.status_code == 201, first.text
    again = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "received"
    assert first.json()["channel"] == "hotline"
    assert await count_cases(client, hotline(bearer)) == 1


async def test_the_same_work_order_with_other_content_is_a_conflict(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    first = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    assert first.status_code == 201, first.text
    other = await client.post(
        f"{API}/cases", headers=hotline(bearer), json=complaint(amount_owed_fen=50_000_000)
    )
    assert other.status_code == 409, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "work_order_conflict"
    assert other.json()["field"] == "work_order_no"
    assert await count_cases(client, hotline(bearer)) == 1


async def test_another_hotline_channel_may_reuse_the_number(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    first = await client.post(f"{API}/cases", headers=hotline(bearer, "a"), json=complaint())
    second = await client.post(f"{API}/cases", headers=hotline(bearer, "b"), json=complaint())
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert second.json()["possible_duplicate_of"] == first.json()["id"]


async def test_a_contract_past_21_million_yuan_is_matched_as_a_duplicate_too(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    # 3 000 000 000 fen is past a 32-bit integer: the duplicate check compares it as a bigint.
    large = {"contract.amount_fen": 3_000_000_000, "amount_owed_fen": 2_000_000_000}
    first = await client.post(f"{API}/cases", headers=hotline(bearer, "a"), json=complaint(**large))
    second = await client.post(
        f"{API}/cases", headers=hotline(bearer, "b"), json=complaint(**large)
    )
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert second.json()["possible_duplicate_of"] == first.json()["id"]


async def test_the_hotline_files_with_its_work_order_number(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    answer = await client.post(
        f"{API}/cases", headers=hotline(bearer), json=complaint(work_order_no=...)
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "work_order_required"


async def test_bad_input_is_a_problem_in_both_languages_and_files_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    cases = [
        (complaint(amount_owed_fen=200_000_000), "amount_owed_exceeds_contract", "amount_owed_fen"),
        (complaint(category_code="parking"), "category_unknown", "category_code"),
        (
            complaint(**{"contract.subject": "works"}),
            "category_subject_mismatch",
            "contract.subject",
        ),
        (
            complaint(**{"contract.delivered_on": ...}),
            "category_field_missing",
            "contract.delivered_on",
        ),
        (
            complaint(**{"contract.delivered_on": "2025-06-01"}),
            "contract_date_out_of_range",
            "contract.delivered_on",
        ),
        (
            complaint(**{"other_proceedings": {"seized": True}}),
            "other_proceedings_inconsistent",
            "other_proceedings.bodies",
        ),
        (
            complaint(**{"respondent.region_code": "629999"}),
            "region_unknown",
            "respondent.region_code",
        ),
        (
            complaint(
                **{"complainant.uscc": COMPLAINANT[:-1] + ("0" if COMPLAINANT[-1] != "0" else "1")}
            ),
            "uscc_invalid",
            "complainant.uscc",
        ),
    ]
    for body, code, field in cases:
        answer = await client.post(f"{API}/cases", headers=hotline(bearer), json=body)
        assert answer.status_code == 422, (code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert (problem["code"], problem["field"]) == (code, field), problem
        assert problem["detail"] and problem["detail_zh"] != problem["detail"]
    schema_refused = await client.post(
        f"{API}/cases",
        headers=hotline(bearer),
        json=complaint(**{"complainant.size_class": "large"}),
    )
    assert schema_refused.status_code == 422
    assert await count_cases(client, hotline(bearer)) == 0


async def test_the_web_channel_files_for_its_own_enterprise_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    own = bearer("enterprise", uscc=COMPLAINANT)
    other = bearer("enterprise", uscc=RESPONDENT)
    refused = await client.post(f"{API}/cases", headers=other, json=complaint(work_order_no=...))
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "complainant_not_self"
    filed = await client.post(f"{API}/cases", headers=own, json=complaint(work_order_no=...))
    assert filed.status_code == 201, filed.text
    assert filed.json()["channel"] == "web"
    assert await count_cases(client, own) == 1
    assert await count_cases(client, other) == 0


async def test_registry_facts_are_recorded_and_unknowns_said(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    unknown = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    facts = unknown.json()["registry_facts"]
    assert facts["complainant"]["registered"] is False
    assert facts["complainant"]["sme_at_contract_date"] == "unknown"
    await register(client, COMPLAINANT, founded="2025-09-01")
    known = await client.post(
        f"{API}/cases", headers=hotline(bearer), json=complaint(work_order_no="GS-2")
    )
    facts = known.json()["registry_facts"]
    assert facts["complainant"]["registered"] is True
    assert facts["complainant"]["founded_after_contract"] is True
    assert facts["respondent"]["large"] == "not_applicable"


async def decide_size(
    client: httpx.AsyncClient, uscc: str, size_class: str | None, decided_at: str, year: int
) -> None:
    """Registry's size-class decision reaching complaints' directory, as its event would."""
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await apply_directory_events(
            uow,
            [
                CloudEvent(
                    type=SIZE_CLASS_CHANGED_V1,
                    source="/sme/registry",
                    subject=uscc,
                    data={
                        "uscc": uscc,
                        "size_class": size_class,
                        "previous_size_class": None,
                        "basis_year": year,
                        "rule_version": "gxb-2011-300",
                        "decided_at": decided_at,
                    },
                )
            ],
        )
        await uow.commit()


async def test_the_complainant_is_an_sme_by_its_size_class_in_force_when_the_contract_was_signed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    """国务院令第802号 第三条: the size at the contract's signing (2025-07-01), not today's."""
    await decide_size(client, COMPLAINANT, "small", "2024-04-30T02:00:00+00:00", 2023)
    # Decided late on signing day in Beijing (23:30): in force that day.
    await decide_size(client, COMPLAINANT, "medium", "2025-07-01T15:30:00+00:00", 2024)
    await decide_size(client, COMPLAINANT, "large", "2026-04-30T02:00:00+00:00", 2025)
    filed = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    assert filed.status_code == 201, filed.text
    facts = filed.json()["registry_facts"]["complainant"]
    assert facts["sme_at_contract_date"] == "yes"
    assert facts["size_class_at_contract_date"] == "medium"
    assert facts["size_class_basis_year"] == 2024
    assert "2025-07-01" in facts["sme_basis"] and "802" in facts["sme_basis"]

    later = await client.post(
        f"{API}/cases",
        headers=hotline(bearer),
        json=complaint(
            work_order_no="GS-3",
            **{"contract.signed_on": "2026-05-01", "contract.delivered_on": "2026-05-10"},
        ),
    )
    assert later.status_code == 201, later.text
    facts = later.json()["registry_facts"]["complainant"]
    assert (facts["sme_at_contract_date"], facts["size_class_at_contract_date"]) == ("no", "large")


async def test_a_contract_signed_before_any_known_decision_leaves_sme_status_unknown(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await decide_size(client, COMPLAINANT, "small", "2025-07-02T02:00:00+00:00", 2024)
    filed = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    facts = filed.json()["registry_facts"]["complainant"]
    assert facts["sme_at_contract_date"] == "unknown", "the later decision is not guessed back"
    assert facts["size_class_at_contract_date"] is None
    assert "no size-class decision" in facts["sme_basis"]


async def test_a_decision_that_could_not_decide_leaves_sme_status_unknown(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await decide_size(client, COMPLAINANT, None, "2025-01-02T02:00:00+00:00", 2024)
    filed = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint())
    facts = filed.json()["registry_facts"]["complainant"]
    assert (facts["sme_at_contract_date"], facts["size_class_at_contract_date"]) == (
        "unknown",
        None,
    )
    assert "decided no class" in facts["sme_basis"]


async def test_a_respondent_with_a_uscc_is_large_by_its_latest_known_class(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    large_enterprise = {
        "respondent.type": "large_enterprise",
        "respondent.name": "某某集团有限公司",
        "respondent.uscc": RESPONDENT,
    }
    unknown = await client.post(
        f"{API}/cases", headers=hotline(bearer), json=complaint(**large_enterprise)
    )
    assert unknown.status_code == 201, unknown.text
    facts = unknown.json()["registry_facts"]["respondent"]
    assert (facts["registered"], facts["large"], facts["size_class"]) == (False, "unknown", None)

    await decide_size(client, RESPONDENT, "medium", "2024-04-30T02:00:00+00:00", 2023)
    await decide_size(client, RESPONDENT, "large", "2026-04-30T02:00:00+00:00", 2025)
    known = await client.post(
        f"{API}/cases",
        headers=hotline(bearer),
        json=complaint(work_order_no="GS-4", **large_enterprise),
    )
    facts = known.json()["registry_facts"]["respondent"]
    assert (facts["large"], facts["size_class"], facts["size_class_basis_year"]) == (
        "yes",
        "large",
        2025,
    )
    assert facts["size_class_at_contract_date"] == "medium"

    await decide_size(client, RESPONDENT, "medium", "2026-05-30T02:00:00+00:00", 2025)
    smaller = await client.post(
        f"{API}/cases",
        headers=hotline(bearer),
        json=complaint(work_order_no="GS-5", **large_enterprise),
    )
    assert smaller.json()["registry_facts"]["respondent"]["large"] == "no"
