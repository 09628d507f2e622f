"""The lifecycle of a certificate: the re-review alert, re-review passed or failed or never filed,
expiry on the day after the last valid day, revocation with a reason and the 3-year ban; illegal
transitions are refused and change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from services.certification.tests.certificate_support import (  # noqa: F401 (fixture)
    URL,
    add_enterprise,
    at_noon,
    client_on_the_real_clock,
    database_of,
    outbox_events,
)
from sme_certification.certificates import domain
from sme_certification.certificates.service import run_lifecycle
from sme_common.clock import FixedClock, use_clock
from sme_common.testing.plugin import TokenFactory

ISSUED = date(2026, 1, 10)  # last valid day 2029-01-10
LEAD = 90  # alerted from 2028-10-12


@pytest.fixture
def province(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000", subject="officer-620000")


async def granted(client: httpx.AsyncClient, headers: dict[str, str], body: str) -> dict:
    uscc = await add_enterprise(client, body)
    with use_clock(at_noon(ISSUED)):
        response = await client.post(
            f"{URL}/certificates",
            headers=headers,
            json={
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "issued_on": str(ISSUED),
            },
        )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def lifecycle_on(client: httpx.AsyncClient, day: date) -> dict[str, list[str]]:
    with use_clock(at_noon(day)):
        report = await run_lifecycle(database_of(client), lead_days=LEAD)
    return {
        "notified": report.re_review_notified,
        "expired": report.expired,
        "revoked": report.revoked_unfiled,
    }


async def current(client: httpx.AsyncClient, headers: dict[str, str], certificate: dict) -> dict:
    return (await client.get(f"{URL}/certificates/{certificate['id']}", headers=headers)).json()  # type: ignore[no-any-return]


def test_validity_is_three_years_counted_as_the_civil_code_counts_years() -> None:
    assert domain.last_valid_day(date(2026, 6, 15)) == date(2029, 6, 15)
    assert domain.last_valid_day(date(2028, 2, 29)) == date(2031, 2, 28)
    assert domain.renewed_expiry(date(2029, 6, 15)) == date(2032, 6, 15)
    assert domain.ban_last_day(date(2026, 9, 1)) == date(2029, 9, 1)


class TestReReview:
    async def test_the_alert_comes_at_the_lead_time_once_and_the_title_stays_valid(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MG000001")
        assert await lifecycle_on(client, date(2028, 10, 11)) == {
            "notified": [],
            "expired": [],
            "revoked": [],
        }
        assert (await lifecycle_on(client, date(2028, 10, 12)))["notified"] == [certificate["id"]]
        assert (await lifecycle_on(client, date(2028, 10, 13)))["notified"] == []
        shown = await current(client, province, certificate)
        assert (shown["status"], shown["in_force"]) == ("under_re_review", True)
        assert shown["re_review_notified_on"] == "2028-10-12"
        [due] = await outbox_events(client, "certification.certificate.re-review-due.v1")
        assert due.data["expires_on"] == "2029-01-10"
        assert due.data["notified_on"] == "2028-10-12"
        assert due.data["certificate_number"] == certificate["number"]
        with use_clock(at_noon(date(2028, 11, 1))):
            verified = await client.get(f"{URL}/verify/{certificate['verification_code']}")
        assert verified.json()["valid"] is True

    async def test_passing_the_re_review_gives_three_more_years(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MG000002")
        await lifecycle_on(client, date(2028, 10, 12))
        with use_clock(at_noon(date(2028, 12, 1))):
            filed = await client.post(
                f"{URL}/certificates/{certificate['id']}/re-review/filing",
                headers=province,
                json={"filed_on": "2028-12-01", "application_id": "app_rr_1"},
            )
        assert filed.status_code == 200, filed.text
        # Past the last valid day, a filed re-review keeps the title valid until decided.
        assert await lifecycle_on(client, date(2029, 1, 11)) == {
            "notified": [],
            "expired": [],
            "revoked": [],
        }
        with use_clock(at_noon(date(2029, 1, 20))):
            decided = await client.post(
                f"{URL}/certificates/{certificate['id']}/re-review/decision",
                headers=province,
                json={"passed": True, "decided_on": "2029-01-20", "note": "复核通过"},
            )
        assert decided.status_code == 200, decided.text
        shown = decided.json()
        assert (shown["status"], shown["expires_on"], shown["renewed_on"]) == (
            "valid",
            "2032-01-10",
            "2029-01-20",
        )
        [renewed] = await outbox_events(client, "certification.certificate.renewed.v1")
        assert renewed.data["expires_on"] == "2032-01-10"
        assert (await lifecycle_on(client, date(2031, 10, 12)))["notified"] == [certificate["id"]]

    async def test_failing_the_re_review_revokes_the_title(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MG000003")
        await lifecycle_on(client, date(2028, 10, 12))
        with use_clock(at_noon(date(2028, 12, 2))):
            await client.post(
                f"{URL}/certificates/{certificate['id']}/re-review/filing",
                headers=province,
                json={"filed_on": "2028-12-01"},
            )
            decided = await client.post(
                f"{URL}/certificates/{certificate['id']}/re-review/decision",
                headers=province,
                json={"passed": False, "decided_on": "2028-12-02", "note": "研发投入不达标"},
            )
        shown = decided.json()
        assert (shown["status"], shown["revocation_reason"], shown["ended_on"]) == (
            "revoked",
            "failed_re_review",
            "2028-12-02",
        )
        assert shown["banned_until"] is None, "no ban without a false declaration"
        [revoked] = await outbox_events(client, "certification.certificate.revoked.v1")
        assert revoked.data["reason_code"] == "failed_re_review"
        assert revoked.data["falsification"] is False
        assert "banned_until" not in revoked.data

    async def test_a_re_review_not_filed_by_the_last_valid_day_revokes_the_title(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MG000004")
        await lifecycle_on(client, date(2028, 10, 12))
        assert (await lifecycle_on(client, date(2029, 1, 10)))["revoked"] == []
        assert (await lifecycle_on(client, date(2029, 1, 11)))["revoked"] == [certificate["id"]]
        shown = await current(client, province, certificate)
        assert (shown["status"], shown["ended_on"]) == ("revoked", "2029-01-11")
        with use_clock(at_noon(date(2029, 1, 12))):
            late = await client.post(
                f"{URL}/certificates/{certificate['id']}/re-review/filing",
                headers=province,
                json={"filed_on": "2029-01-12"},
            )
        assert late.status_code == 409
        assert late.json()["code"] == "certificate_status_conflict"


class TestExpiry:
    async def test_a_title_never_alerted_expires_on_the_day_after_its_last_valid_day(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MH000001")
        database = database_of(client)
        # The last valid day ends at midnight Asia/Shanghai: 2029-01-10 16:30 UTC is already the
        # 11th there (the UTC date is still the last valid day).
        with use_clock(FixedClock(datetime(2029, 1, 10, 16, 30, tzinfo=UTC))):
            assert (await run_lifecycle(database, lead_days=0)).expired == [certificate["id"]]
        assert (await lifecycle_on(client, date(2029, 1, 12)))["expired"] == []
        shown = await current(client, province, certificate)
        assert (shown["status"], shown["in_force"], shown["ended_on"]) == (
            "expired",
            False,
            "2029-01-11",
        )
        [expired] = await outbox_events(client, "certification.certificate.expired.v1")
        assert expired.data == {
            "certificate_id": certificate["id"],
            "uscc": certificate["uscc"],
            "tier": "specialised",
            "expired_on": "2029-01-11",
        }


class TestRevocation:
    async def test_a_false_declaration_revokes_and_bars_reapplying_for_three_years(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MJ000001")
        with use_clock(at_noon(date(2026, 9, 1))):
            revoked = await client.post(
                f"{URL}/certificates/{certificate['id']}/revocation",
                headers=province,
                json={
                    "reason": "false_declaration",
                    "revoked_on": "2026-09-01",
                    "note": "研发费用数据造假",
                },
            )
            assert revoked.status_code == 200, revoked.text
            again = await client.post(
                f"{URL}/certificates",
                headers=province,
                json={
                    "uscc": certificate["uscc"],
                    "tier": "innovative",
                    "level": "provincial",
                    "issued_on": "2026-09-01",
                },
            )
        shown = revoked.json()
        assert (shown["status"], shown["revocation_reason"], shown["banned_until"]) == (
            "revoked",
            "false_declaration",
            "2029-09-01",
        )
        [event] = await outbox_events(client, "certification.certificate.revoked.v1")
        assert event.data["falsification"] is True
        assert event.data["banned_until"] == "2029-09-01"
        assert event.data["revoked_on"] == "2026-09-01"
        assert again.status_code == 409
        assert again.json()["code"] == "reapplication_banned"

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            (
                {"reason": "violation", "revoked_on": "2026-01-09", "note": "x"},
                "revoked_on_before_issue",
            ),
            (
                {"reason": "violation", "revoked_on": "2026-09-02", "note": "x"},
                "revoked_on_in_future",
            ),
            ({"reason": "bored", "revoked_on": "2026-09-01", "note": "x"}, "request_invalid"),
            ({"reason": "violation", "revoked_on": "2026-09-01"}, "request_invalid"),
            ({"reason": "violation", "revoked_on": "2026-09-01", "note": ""}, "request_invalid"),
        ],
    )
    async def test_bad_revocations_are_refused_and_change_nothing(
        self, client: httpx.AsyncClient, province: dict[str, str], body: dict, code: str
    ) -> None:
        certificate = await granted(client, province, "MJ000002")
        with use_clock(at_noon(date(2026, 9, 1))):
            response = await client.post(
                f"{URL}/certificates/{certificate['id']}/revocation", headers=province, json=body
            )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        shown = await current(client, province, certificate)
        assert (shown["status"], shown["version"]) == ("valid", 1)


class TestIllegalTransitions:
    async def test_what_a_status_cannot_do_is_a_409_that_changes_nothing(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MK000001")
        path = f"{URL}/certificates/{certificate['id']}"
        with use_clock(at_noon(date(2026, 9, 1))):
            undecidable = await client.post(
                f"{path}/re-review/decision",
                headers=province,
                json={"passed": True, "decided_on": "2026-09-01"},
            )
            assert undecidable.status_code == 409
            assert undecidable.json()["code"] == "certificate_status_conflict"
            assert undecidable.json()["status"] == "valid"
            await client.post(
                f"{path}/revocation",
                headers=province,
                json={"reason": "violation", "revoked_on": "2026-09-01", "note": "违法违规"},
            )
            before = await current(client, province, certificate)
            events_before = len(await outbox_events(client))
            for action, body in (
                ("revocation", {"reason": "violation", "revoked_on": "2026-09-01", "note": "x"}),
                ("re-review/filing", {"filed_on": "2026-09-01"}),
                ("re-review/decision", {"passed": True, "decided_on": "2026-09-01"}),
            ):
                response = await client.post(f"{path}/{action}", headers=province, json=body)
                assert response.status_code == 409, (action, response.text)
                assert response.json()["code"] == "certificate_status_conflict"
        assert await current(client, province, certificate) == before
        assert len(await outbox_events(client)) == events_before
        assert await lifecycle_on(client, date(2029, 1, 11)) == {
            "notified": [],
            "expired": [],
            "revoked": [],
        }, "a revoked title neither expires nor is alerted"

    async def test_a_decision_without_a_filed_re_review_is_refused(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        certificate = await granted(client, province, "MK000002")
        await lifecycle_on(client, date(2028, 10, 12))
        with use_clock(at_noon(date(2028, 11, 1))):
            response = await client.post(
                f"{URL}/certificates/{certificate['id']}/re-review/decision",
                headers=province,
                json={"passed": True, "decided_on": "2028-11-01"},
            )
        assert response.status_code == 409
        assert response.json()["code"] == "re_review_not_filed"
        assert (await current(client, province, certificate))["status"] == "under_re_review"
