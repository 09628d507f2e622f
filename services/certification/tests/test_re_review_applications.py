"""A re-review (复核) application is tied to the certificate it re-reviews: the applicant's, of the
batch's tier and level, in force and within its re-review window. Submitting it files the
certificate's re-review (the title stays valid until decided); granting it renews that certificate
(``certification.certificate.renewed.v1``) instead of issuing a new one; rejecting it revokes the
title. The titles the rules read (a higher tier needs a valid lower one) come from the
certificates; a declared title is read only where the platform has no certificate of that tier
and level, and the explanation says which was read."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.certification.tests.support import (
    CHENGGUAN,
    LANZHOU,
    URL,
    act,
    known_enterprise,
    make_batch,
    outbox_types,
)
from services.certification.tests.test_review_api import (
    database,
    decide,
    read,
    scored,
    start_notice,
)
from sme_certification.applications.domain import titles_read
from sme_common.clock import FixedClock
from sme_common.testing.plugin import TokenFactory

Headers = dict[str, str]
GRANTED = "certification.certificate.granted.v1"
RENEWED = "certification.certificate.renewed.v1"
REVOKED = "certification.certificate.revoked.v1"


@pytest.fixture
def province(bearer: TokenFactory) -> Headers:
    return bearer("province_officer", region="620000")


@pytest.fixture
def lanzhou(bearer: TokenFactory) -> Headers:
    return bearer("city_officer", region=LANZHOU)


@pytest.fixture
def chengguan(bearer: TokenFactory) -> Headers:
    return bearer("county_officer", region=CHENGGUAN)


async def record(
    client: httpx.AsyncClient,
    province: Headers,
    uscc: str,
    issued_on: date,
    *,
    tier: str = "specialised",
    level: str = "provincial",
) -> dict[str, Any]:
    """A title recorded on the platform (存量)."""
    response = await client.post(
        f"{URL}/certificates",
        headers=province,
        json={"uscc": uscc, "tier": tier, "level": level, "issued_on": str(issued_on)},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def certificate(
    client: httpx.AsyncClient, province: Headers, certificate_id: str
) -> dict[str, Any]:
    response = await client.get(f"{URL}/certificates/{certificate_id}", headers=province)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def create(
    client: httpx.AsyncClient, headers: Headers, batch_id: str, uscc: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{URL}/applications", headers=headers, json={"batch_id": batch_id, "uscc": uscc, **body}
    )


async def re_review_through_scoring(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
    body: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(application, certificate) of a re-review of a title issued 2023-06-20, through expert
    scoring; the certificate as it stands after the submission."""
    uscc = await known_enterprise(database(client), body)
    held = await record(client, province, uscc, date(2023, 6, 20))
    batch = await make_batch(client, province)
    created = await create(
        client, chengguan, batch["id"], uscc, kind="re_review", certificate_id=held["id"]
    )
    assert created.status_code == 201, created.text
    assert created.json()["certificate_id"] == held["id"]
    submitted = await client.post(
        f"{URL}/applications/{created.json()['id']}/submit", headers=chengguan, json={"version": 1}
    )
    assert submitted.status_code == 200, submitted.text
    current = submitted.json()
    for headers, action in (
        (chengguan, "approve_county_check"),
        (lanzhou, "recommend"),
        (province, "approve_provincial_review"),
    ):
        response = await act(client, headers, current, action)
        assert response.status_code == 200, response.text
        current = response.json()
    application = await scored(client, bearer, province, current, ["80"])
    return application, await certificate(client, province, held["id"])


async def test_submitting_a_re_review_files_it_and_the_grant_renews_the_same_certificate(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    business_clock: FixedClock,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application, filed = await re_review_through_scoring(
        client, bearer, province, lanzhou, chengguan, "RR000001"
    )
    assert (filed["status"], filed["re_review_filed_on"], filed["re_review_application_id"]) == (
        "under_re_review",
        "2026-06-10",
        application["id"],
    )
    assert filed["in_force"] is True
    notice = await start_notice(client, province, application)
    assert notice.status_code == 201, notice.text
    business_clock.advance(timedelta(days=30))
    granted = await decide(
        client, province, await read(client, province, application["id"]), "grant"
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["certificate_id"] == filed["id"]
    renewed = await certificate(client, province, filed["id"])
    assert (renewed["status"], renewed["expires_on"], renewed["renewed_on"]) == (
        "valid",
        "2029-06-20",
        "2026-07-10",
    )
    assert renewed["number"] == filed["number"]
    listed = await client.get(
        f"{URL}/certificates", headers=province, params={"uscc": application["uscc"]}
    )
    assert [c["id"] for c in listed.json()["items"]] == [filed["id"]]
    types = await outbox_types(database(client))
    assert types[-1] == RENEWED
    assert types.count(GRANTED) == 1  # the recorded title's; the re-review issued none
    steps = await client.get(f"{URL}/applications/{application['id']}/steps", headers=province)
    assert steps.json()["items"][-1]["remarks"] == {
        "certificate": filed["number"],
        "renewed_until": "2029-06-20",
    }


async def test_rejecting_a_re_review_revokes_the_title_it_re_reviewed(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    business_clock: FixedClock,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application, filed = await re_review_through_scoring(
        client, bearer, province, lanzhou, chengguan, "RR000002"
    )
    await start_notice(client, province, application)
    business_clock.advance(timedelta(days=30))
    rejected = await decide(
        client,
        province,
        await read(client, province, application["id"]),
        "reject",
        reasons={"score": "复核评分未达标"},
    )
    assert rejected.status_code == 200, rejected.text
    revoked = await certificate(client, province, filed["id"])
    assert (revoked["status"], revoked["revocation_reason"], revoked["ended_on"]) == (
        "revoked",
        "failed_re_review",
        "2026-07-10",
    )
    assert (await outbox_types(database(client)))[-2:] == [
        REVOKED,
        "certification.application.rejected.v1",
    ]


async def test_a_re_review_must_name_a_title_of_the_applicant_of_the_batch_in_force(
    client: httpx.AsyncClient,
    province: Headers,
    chengguan: Headers,
) -> None:
    uscc = await known_enterprise(database(client), "RR000003")
    other = await known_enterprise(database(client), "RR000004")
    batch = await make_batch(client, province)
    own = await record(client, province, uscc, date(2023, 6, 20))
    innovative = await record(client, province, uscc, date(2024, 1, 5), tier="innovative")
    national = await record(client, province, uscc, date(2024, 1, 5), level="national")
    not_ours = await record(client, province, other, date(2023, 6, 20))
    lapsed = await record(client, province, other, date(2023, 6, 1), level="national")
    revoked = await record(client, province, other, date(2024, 2, 1), tier="innovative")
    revocation = await client.post(
        f"{URL}/certificates/{revoked['id']}/revocation",
        headers=province,
        json={"reason": "violation", "revoked_on": "2026-05-01", "note": "违法违规"},
    )
    assert revocation.status_code == 200, revocation.text
    new_batches = {
        "national": await make_batch(client, province, level="national"),
        "innovative": await make_batch(client, province, tier="innovative"),
    }
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (uscc, batch["id"], {}, "re_review_certificate_required"),
        (
            uscc,
            batch["id"],
            {"kind": "new", "certificate_id": own["id"]},
            "certificate_id_only_for_re_review",
        ),
        (uscc, batch["id"], {"certificate_id": not_ours["id"]}, "re_review_certificate_not_held"),
        (
            uscc,
            batch["id"],
            {"certificate_id": "cert_0000000000000000"},
            "re_review_certificate_not_held",
        ),
        (
            uscc,
            batch["id"],
            {"certificate_id": innovative["id"]},
            "re_review_certificate_other_title",
        ),
        (
            uscc,
            batch["id"],
            {"certificate_id": national["id"]},
            "re_review_certificate_other_title",
        ),
        (
            other,
            new_batches["national"]["id"],
            {"certificate_id": lapsed["id"]},
            "re_review_window_passed",
        ),
        (
            other,
            new_batches["innovative"]["id"],
            {"certificate_id": revoked["id"]},
            "re_review_certificate_not_in_force",
        ),
    ]
    for applicant, batch_id, body, code in cases:
        refused = await create(
            client, chengguan, batch_id, applicant, **{"kind": "re_review", **body}
        )
        assert refused.status_code == 422, (code, refused.text)
        assert (refused.json()["code"], refused.json()["field"]) == (code, "certificate_id")
    listed = await client.get(f"{URL}/applications", headers=province)
    assert listed.json()["items"] == []
    accepted = await create(
        client, chengguan, batch["id"], uscc, kind="re_review", certificate_id=own["id"]
    )
    assert accepted.status_code == 201, accepted.text
    assert (await certificate(client, province, own["id"]))["status"] == "valid"  # until filed


def prerequisite(explanation: dict[str, Any]) -> dict[str, Any]:
    [criterion] = [c for c in explanation["criteria"] if c["id"] == "specialised_holds_innovative"]
    return criterion


async def test_the_lower_title_is_read_from_the_certificates_and_declared_only_as_fallback(
    client: httpx.AsyncClient, province: Headers, chengguan: Headers
) -> None:
    """A 2026 专精特新 application needs a valid 创新型 title (2号文)."""
    batch = await make_batch(client, province)
    declared_title = {
        "tier": "innovative",
        "level": "provincial",
        "issued_on": "2025-01-10",
        "expires_on": "2028-01-10",
    }
    revoked_here = await known_enterprise(database(client), "RR000005")
    held = await record(client, province, revoked_here, date(2025, 1, 10), tier="innovative")
    await client.post(
        f"{URL}/certificates/{held['id']}/revocation",
        headers=province,
        json={"reason": "false_declaration", "revoked_on": "2026-03-01", "note": "数据造假"},
    )
    valid_here = await known_enterprise(database(client), "RR000006")
    valid = await record(client, province, valid_here, date(2025, 2, 1), tier="innovative")
    before_platform = await known_enterprise(database(client), "RR000007")
    outcomes = {}
    for uscc in (revoked_here, valid_here, before_platform):
        created = await create(
            client, chengguan, batch["id"], uscc, declared={"held_titles": [declared_title]}
        )
        assert created.status_code == 201, created.text
        assessed = await client.post(
            f"{URL}/applications/{created.json()['id']}/self-assessment", headers=chengguan
        )
        assert assessed.status_code == 200, assessed.text
        criterion = prerequisite(assessed.json())
        [check] = criterion["checks"]
        outcomes[uscc] = (criterion["result"], [f["value"] for f in check["facts"]])
    assert outcomes == {
        # The platform revoked it: the declaration of the same title is not read.
        revoked_here: (
            "fail",
            [f"2025-01-10..2028-01-10 revoked 2026-03-01 (certificate {held['number']})"],
        ),
        valid_here: ("pass", [f"2025-02-01..2028-02-01 (certificate {valid['number']})"]),
        # No certificate here: the title granted before the platform is read as declared.
        before_platform: ("pass", ["2025-01-10..2028-01-10 (declared)"]),
    }


def test_titles_read_keeps_a_declared_title_only_where_no_certificate_has_its_tier_and_level() -> (
    None
):
    recorded = [{"tier": "innovative", "level": "provincial", "certificate": "GS-CXX-2025-000001"}]
    declared: dict[str, Any] = {
        "rd_institution_level": "provincial",
        "held_titles": [
            {"tier": "innovative", "level": "provincial", "issued_on": "2020-01-01"},
            {"tier": "innovative", "level": "national", "issued_on": "2021-01-01"},
        ],
    }
    assert titles_read(declared, recorded) == {
        "rd_institution_level": "provincial",
        "held_titles": [
            recorded[0],
            {"tier": "innovative", "level": "national", "issued_on": "2021-01-01"},
        ],
    }
    assert titles_read({}, []) == {"held_titles": []}
