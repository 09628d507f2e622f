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


# --- Guizhou: 就高 (highest only) -------------------------------------------------------------


def test_guizhou_provincial_then_national_tops_up_the_difference(book: PolicyBook) -> None:
    provincial = book.get("GZ-XJR-PROV")
    national = book.get("GZ-XJR-NATIONAL")
    assert provincial is not None and national is not None
    assert provincial.unverified and national.unverified  # amounts are configuration
    proposals, _ = run(
        book,
        [
            grant("C-PROV", "little_giant", "provincial", date(2024, 5, 1), province=GUIZHOU),
            grant("C-NAT", "little_giant", "national", date(2025, 8, 1), province=GUIZHOU),
        ],
    )
    assert amounts(proposals) == [("GZ-XJR-PROV", 20 * WAN), ("GZ-XJR-NATIONAL", 30 * WAN)]
    assert proposals[1].full_amount_fen == 50 * WAN
    assert "highest_only_top_up" in codes(proposals[1])
    # paid once, at the higher amount
    assert sum(p.amount_fen for p in proposals) == 50 * WAN


def test_guizhou_national_then_provincial_gives_nothing_more(book: PolicyBook) -> None:
    proposals, _ = run(
        book,
        [
            grant("C-NAT", "little_giant", "national", date(2024, 5, 1), province=GUIZHOU),
            grant("C-PROV", "little_giant", "provincial", date(2025, 8, 1), province=GUIZHOU),
        ],
    )
    assert amounts(proposals) == [("GZ-XJR-NATIONAL", 50 * WAN), ("GZ-XJR-PROV", 0)]
    assert proposals[1].full_amount_fen == 20 * WAN
    assert "highest_only_nothing_more" in codes(proposals[1])
    assert any("就高" in line.message_zh for line in proposals[1].explanation)


def test_guizhou_cancelled_provincial_award_is_not_deducted(book: PolicyBook) -> None:
    history = AwardHistory(
        entitlements=(
            PriorEntitlement(
                "e1",
                "GZ-XJR-PROV",
                20 * WAN,
                "GZ-XJR-PROV:C-PROV:certificate_granted",
                cancelled=True,
            ),
        )
    )
    [proposal] = proposals_for_certificate(
        book,
        grant("C-NAT", "little_giant", "national", date(2025, 8, 1), province=GUIZHOU),
        history,
    )
    assert proposal.amount_fen == 50 * WAN


def test_guizhou_specialised_has_no_award(book: PolicyBook) -> None:
    trigger = grant("C", "specialised", "provincial", date(2024, 5, 1), province=GUIZHOU)
    assert proposals_for_certificate(book, trigger, AwardHistory()) == []


# --- Hubei: the re-review award is not blocked by first-time-only ----------------------------


def test_hubei_national_little_giant_50_wan_then_re_review_award(book: PolicyBook) -> None:
    granted = grant("C-NAT", "little_giant", "national", date(2023, 7, 1), province=HUBEI)
    renewed = grant(
        "C-NAT",
        "little_giant",
        "national",
        date(2026, 7, 1),
        province=HUBEI,
        kind=TriggerKind.CERTIFICATE_RENEWED,
    )
    proposals, history = run(book, [granted])
    assert amounts(proposals) == [("HB-XJR-NATIONAL", 50 * WAN)]
    # the renewed certificate is the same one: it is not among its own earlier certificates
    history = AwardHistory(certificates=(), entitlements=history.entitlements)
    [award] = proposals_for_certificate(book, renewed, history)
    assert award.policy_code == "HB-XJR-RE-REVIEW"
    assert award.amount_fen == 10 * WAN == award.full_amount_fen
    assert award.trigger_key == "HB-XJR-RE-REVIEW:C-NAT:certificate_renewed:2026-07-01"
    assert award.fund_code == "local-sme-development-fund"
    assert "amount_configurable" in codes(award)
    assert not any(code.startswith("first") for code in codes(award))
    # Three years on the same certificate passes its next re-review: its own trigger, paid again.
    again = grant(
        "C-NAT",
        "little_giant",
        "national",
        date(2029, 7, 1),
        province=HUBEI,
        kind=TriggerKind.CERTIFICATE_RENEWED,
    )
    earlier = PriorEntitlement(
        award.trigger_key, award.policy_code, award.amount_fen, award.trigger_key
    )
    history = AwardHistory(certificates=(), entitlements=(*history.entitlements, earlier))
    [second] = proposals_for_certificate(book, again, history)
    assert second.trigger_key == "HB-XJR-RE-REVIEW:C-NAT:certificate_renewed:2029-07-01"
    assert second.amount_fen == 10 * WAN


def test_hubei_re_review_paid_even_with_an_older_certificate_on_record(book: PolicyBook) -> None:
    """Not first (an earlier national 小巨人 and its award exist): the re-review award is still paid,
    a second grant is not."""
    history = AwardHistory(
        certificates=(PriorCertificate("C-OLD", "little_giant", "national", date(2020, 1, 1)),),
        entitlements=(
            PriorEntitlement(
                "e1", "HB-XJR-NATIONAL", 50 * WAN, "HB-XJR-NATIONAL:C-OLD:certificate_granted"
            ),
        ),
    )
    renewed = grant(
        "C-NAT",
        "little_giant",
        "national",
        date(2026, 7, 1),
        province=HUBEI,
        kind=TriggerKind.CERTIFICATE_RENEWED,
    )
    regranted = grant("C-NEW", "little_giant", "national", date(2026, 7, 1), province=HUBEI)
    assert amounts(proposals_for_certificate(book, renewed, history)) == [
        ("HB-XJR-RE-REVIEW", 10 * WAN)
    ]
    assert amounts(proposals_for_certificate(book, regranted, history)) == [("HB-XJR-NATIONAL", 0)]


def test_hubei_before_its_measures_took_effect(book: PolicyBook) -> None:
    before = grant("C", "little_giant", "national", date(2023, 4, 26), province=HUBEI)
    on = grant("C", "little_giant", "national", date(2023, 4, 27), province=HUBEI)
    assert proposals_for_certificate(book, before, AwardHistory()) == []
    assert amounts(proposals_for_certificate(book, on, AwardHistory())) == [
        ("HB-XJR-NATIONAL", 50 * WAN)
    ]


def test_a_misspelt_tier_is_refused_not_ignored(book: PolicyBook) -> None:
    with pytest.raises(ValueError, match="specialized"):
        proposals_for_certificate(
            book, grant("C", "specialized", "provincial", date(2024, 3, 1)), AwardHistory()
        )


@pytest.mark.parametrize(
    ("province", "triggers", "total"),
    [
        (GANSU, [("specialised", "provincial"), ("little_giant", "national")], 80 * WAN),
        (GUIZHOU, [("little_giant", "provincial"), ("little_giant", "national")], 50 * WAN),
        (HUBEI, [("specialised", "provincial"), ("little_giant", "national")], 50 * WAN),
    ],
)
def test_order_and_replays_never_change_the_total(
    book: PolicyBook, province: str, triggers: list[tuple[str, str]], total: int
) -> None:
    """Every order of the grants, each delivered twice: the stored total (one entitlement per
    trigger key, as the entitlements service keeps them) is the same."""
    events = [
        grant(f"C-{tier}-{level}", tier, level, date(2024, 5, 1), province=province)
        for tier, level in triggers
    ]
    for ordered in (events, list(reversed(events))):
        history = AwardHistory()
        stored: dict[str, int] = {}
        for trigger in [e for e in ordered for _ in range(2)]:
            proposals = proposals_for_certificate(book, trigger, history)
            fresh = [p for p in proposals if p.trigger_key not in stored]
            stored.update({p.trigger_key: p.amount_fen for p in fresh})
            if fresh:
                history = remember(history, trigger, fresh)
        assert sum(stored.values()) == total, ordered
