"""Certificate awards with worked amounts: Gansu stacks, Guizhou pays the higher (就高), Hubei's
re-review award is not blocked by a first-time-only rule; first certificates; effective dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from sme_funding.policies.book import load_book
from sme_funding.policies.domain import (
    AwardHistory,
    CertificateTrigger,
    EntitlementProposal,
    PayeeKind,
    PolicyBook,
    PriorCertificate,
    PriorEntitlement,
    TriggerKind,
    proposals_for_certificate,
)

WAN = 10_000 * 100  # 1万元 in fen
USCC = "91620100MA74XXXX1X"
GANSU, GUIZHOU, HUBEI = "620000", "520000", "420000"
CITY = {GANSU: "620100", GUIZHOU: "520100", HUBEI: "420100"}


@pytest.fixture(scope="module")
def book() -> PolicyBook:
    return load_book()


def grant(
    certificate_id: str,
    tier: str,
    level: str,
    on: date,
    province: str = GANSU,
    kind: TriggerKind = TriggerKind.CERTIFICATE_GRANTED,
) -> CertificateTrigger:
    return CertificateTrigger(
        kind=kind,
        certificate_id=certificate_id,
        uscc=USCC,
        tier=tier,
        level=level,
        province_code=province,
        city_code=CITY[province],
        occurred_on=on,
    )


def remember(
    history: AwardHistory, trigger: CertificateTrigger, proposals: list[EntitlementProposal]
) -> AwardHistory:
    """What funding knows after storing the proposals of ``trigger`` (as the entitlements service
    would)."""
    return AwardHistory(
        certificates=(
            *history.certificates,
            PriorCertificate(
                trigger.certificate_id, trigger.tier, trigger.level, trigger.occurred_on
            ),
        ),
        entitlements=(
            *history.entitlements,
            *(
                PriorEntitlement(f"e-{p.trigger_key}", p.policy_code, p.amount_fen, p.trigger_key)
                for p in proposals
            ),
        ),
    )


def run(
    book: PolicyBook, triggers: list[CertificateTrigger]
) -> tuple[list[EntitlementProposal], AwardHistory]:
    history = AwardHistory()
    all_proposals: list[EntitlementProposal] = []
    for trigger in triggers:
        proposals = proposals_for_certificate(book, trigger, history)
        all_proposals.extend(proposals)
        history = remember(history, trigger, proposals)
    return all_proposals, history


def amounts(proposals: list[EntitlementProposal]) -> list[tuple[str, int]]:
    return [(p.policy_code, p.amount_fen) for p in proposals]


def codes(proposal: EntitlementProposal) -> list[str]:
    return [line.code for line in proposal.explanation]


# --- Gansu ----------------------------------------------------------------------------------


def test_gansu_first_provincial_then_national_stack_to_80_wan(book: PolicyBook) -> None:
    proposals, _ = run(
        book,
        [
            grant("C-PROV", "specialised", "provincial", date(2024, 3, 1)),
            grant("C-NAT", "little_giant", "national", date(2025, 7, 1)),
        ],
    )
    assert amounts(proposals) == [("GS-ZJTX-PROV-FIRST", 30 * WAN), ("GS-XJR-NATIONAL", 50 * WAN)]
    assert sum(p.amount_fen for p in proposals) == 80 * WAN
    national = proposals[1]
    assert "stacked" in codes(national)
    assert national.trigger_key == "GS-XJR-NATIONAL:C-NAT:certificate_granted"
    assert national.payee_kind == PayeeKind.ENTERPRISE
    assert national.payee_id == USCC and national.region_code == "620100"
    assert national.fund_code == "sme-development-fund"
    assert national.policy_version == "2023"
    assert any("75号" in line.message_zh for line in national.explanation)


def test_gansu_recertification_after_expiry_gets_no_second_30_wan(book: PolicyBook) -> None:
    proposals, _ = run(
        book,
        [
            grant("C-2023", "specialised", "provincial", date(2023, 6, 1)),
            # expired in 2026 without re-review; certified again later under a new certificate
            grant("C-2027", "specialised", "provincial", date(2027, 1, 10)),
        ],
    )
    assert amounts(proposals) == [("GS-ZJTX-PROV-FIRST", 30 * WAN), ("GS-ZJTX-PROV-FIRST", 0)]
    assert proposals[1].full_amount_fen == 30 * WAN
    assert "first_only_not_first_certificate" in codes(proposals[1])


def test_gansu_first_only_even_without_the_old_certificate_on_record(book: PolicyBook) -> None:
    """History without the old certificate but with its award: still no second 30万."""
    history = AwardHistory(
        entitlements=(
            PriorEntitlement(
                "e1", "GS-ZJTX-PROV-FIRST", 30 * WAN, "GS-ZJTX-PROV-FIRST:OLD:certificate_granted"
            ),
        )
    )
    [proposal] = proposals_for_certificate(
        book, grant("C-NEW", "specialised", "provincial", date(2024, 1, 1)), history
    )
    assert proposal.amount_fen == 0
    assert "first_only_already_awarded" in codes(proposal)


def test_gansu_cancelled_award_does_not_count(book: PolicyBook) -> None:
    history = AwardHistory(
        entitlements=(
            PriorEntitlement(
                "e1",
                "GS-ZJTX-PROV-FIRST",
                30 * WAN,
                "GS-ZJTX-PROV-FIRST:OLD:certificate_granted",
                cancelled=True,
            ),
        )
    )
    [proposal] = proposals_for_certificate(
        book, grant("C-NEW", "specialised", "provincial", date(2024, 1, 1)), history
    )
    assert proposal.amount_fen == 30 * WAN


def test_replayed_trigger_gives_the_same_proposal(book: PolicyBook) -> None:
    trigger = grant("C-PROV", "specialised", "provincial", date(2024, 3, 1))
    first = proposals_for_certificate(book, trigger, AwardHistory())
    again = proposals_for_certificate(book, trigger, remember(AwardHistory(), trigger, first))
    assert again == first
    assert first[0].trigger_key == "GS-ZJTX-PROV-FIRST:C-PROV:certificate_granted"


@pytest.mark.parametrize(
    ("tier", "level"),
    [("innovative", "provincial"), ("specialised", "national"), ("little_giant", "provincial")],
)
def test_gansu_tiers_without_an_award_give_nothing(book: PolicyBook, tier: str, level: str) -> None:
    assert (
        proposals_for_certificate(book, grant("C", tier, level, date(2024, 3, 1)), AwardHistory())
        == []
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2018, 11, 21), []),
        (date(2018, 11, 22), [("GS-ZJTX-PROV-FIRST", "2018")]),
        (date(2020, 12, 31), [("GS-ZJTX-PROV-FIRST", "2018")]),
        (date(2021, 1, 1), []),  # the seeds name no award in force 2021-01-01..2023-03-13
        (date(2023, 3, 13), []),
        (date(2023, 3, 14), [("GS-ZJTX-PROV-FIRST", "2023")]),
        (date(2030, 1, 1), [("GS-ZJTX-PROV-FIRST", "2023")]),
    ],
)
def test_gansu_effective_date_boundaries(
    book: PolicyBook, on: date, expected: list[tuple[str, str]]
) -> None:
    proposals = proposals_for_certificate(
        book, grant("C", "specialised", "provincial", on), AwardHistory()
    )
    assert [(p.policy_code, p.policy_version) for p in proposals] == expected
    assert all(p.amount_fen == 30 * WAN for p in proposals)


def test_provinces_differ(book: PolicyBook) -> None:
    """The same provincial 专精特新 certificate gives 30万 in Gansu and nothing in Hubei."""
    gansu = proposals_for_certificate(
        book, grant("C", "specialised", "provincial", date(2024, 3, 1)), AwardHistory()
    )
    hubei = proposals_for_certificate(
        book,
        grant("C", "specialised", "provincial", date(2024, 3, 1), province=HUBEI),
        AwardHistory(),
    )
    assert amounts(gansu) == [("GS-ZJTX-PROV-FIRST", 30 * WAN)]
    assert hubei == []


def test_gansu_national_without_provincial_is_paid_in_full(book: PolicyBook) -> None:
    proposals, _ = run(book, [grant("C-NAT", "little_giant", "national", date(2024, 9, 1))])
    assert amounts(proposals) == [("GS-XJR-NATIONAL", 50 * WAN)]
    assert "stacked" not in codes(proposals[0])


def test_renewal_is_not_a_grant(book: PolicyBook) -> None:
    trigger = replace(
        grant("C-PROV", "specialised", "provincial", date(2026, 3, 1)),
        kind=TriggerKind.CERTIFICATE_RENEWED,
    )
    assert proposals_for_certificate(book, trigger, AwardHistory()) == []
