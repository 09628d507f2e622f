"""Certificates over HTTP on real PostgreSQL: recording (存量) and numbering, reading by role and
region, bad input, the PDF, the public verification."""

from __future__ import annotations

import io
from datetime import date

import httpx
import pytest
from pypdf import PdfReader

from services.certification.tests.certificate_support import (  # noqa: F401 (fixture)
    URL,
    add_enterprise,
    at_noon,
    client_on_the_real_clock,
    outbox_events,
)
from sme_certification.certificates import domain
from sme_common.clock import use_clock
from sme_common.testing.plugin import TokenFactory

TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def fixed_clock() -> object:
    with use_clock(at_noon(TODAY)) as clock:
        yield clock


@pytest.fixture
def province(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000", subject="officer-620000")


async def record(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    uscc: str,
    *,
    tier: str = "specialised",
    level: str = "provincial",
    issued_on: str = "2026-06-15",
    **extra: object,
) -> httpx.Response:
    body = {"uscc": uscc, "tier": tier, "level": level, "issued_on": issued_on, **extra}
    return await client.post(f"{URL}/certificates", headers=headers, json=body)


class TestRecording:
    async def test_a_recorded_title_is_numbered_valid_three_years_and_announced(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await add_enterprise(client, "MC000001")
        response = await record(client, province, uscc, issued_on="2026-06-15")
        assert response.status_code == 201, response.text
        certificate = response.json()
        assert certificate["number"] == "GS-ZJTX-2026-000001"
        assert certificate["expires_on"] == "2029-06-15", "3 years, the corresponding day last"
        assert certificate["status"] == "valid" and certificate["in_force"] is True
        assert certificate["origin"] == "recorded" and certificate["application_id"] is None
        assert certificate["enterprise_name"] == "兰州示例精密科技有限公司"
        assert certificate["recorded_by"] == "officer-620000"
        assert len(certificate["verification_code"]) == domain.CODE_LENGTH
        [granted] = await outbox_events(client, "certification.certificate.granted.v1")
        assert granted.subject == uscc and granted.source == "/sme/certification"
        assert granted.data == {
            "certificate_id": certificate["id"],
            "uscc": uscc,
            "tier": "specialised",
            "level": "provincial",
            "certificate_number": "GS-ZJTX-2026-000001",
            "issued_on": "2026-06-15",
            "expires_on": "2029-06-15",
        }

    async def test_numbers_follow_each_other_per_tier_and_year_and_skip_recorded_ones(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        first = await add_enterprise(client, "MC000002")
        second = await add_enterprise(client, "MC000003")
        third = await add_enterprise(client, "MC000004")
        taken = await record(client, province, first, number="GS-ZJTX-2026-000002")
        assert taken.json()["number"] == "GS-ZJTX-2026-000002"
        numbers = [
            (await record(client, province, uscc)).json()["number"] for uscc in (second, third)
        ]
        assert numbers == ["GS-ZJTX-2026-000001", "GS-ZJTX-2026-000003"]
        innovative = await record(
            client, province, first, tier="innovative", issued_on="2025-03-01"
        )
        assert innovative.json()["number"] == "GS-CXX-2025-000001"

    async def test_a_recorded_number_cannot_be_recorded_twice(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        first = await add_enterprise(client, "MC000005")
        second = await add_enterprise(client, "MC000006")
        assert (await record(client, province, first, number="GSZJTX-2022-0042")).status_code == 201
        again = await record(client, province, second, number="GSZJTX-2022-0042")
        assert again.status_code == 409
        assert again.json()["code"] == "certificate_number_exists"

    async def test_the_same_title_cannot_be_held_twice_at_once(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await add_enterprise(client, "MC000007")
        assert (await record(client, province, uscc)).status_code == 201
        again = await record(client, province, uscc, issued_on="2026-06-01")
        assert again.status_code == 409
        assert again.json()["code"] == "certificate_in_force"
        assert len(await outbox_events(client)) == 1, "the refused grant announced nothing"

    async def test_an_idempotent_retry_replays_and_another_body_is_refused(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await add_enterprise(client, "MC000008")
        headers = {**province, "Idempotency-Key": "stock-2026-0001"}
        first = await record(client, headers, uscc)
        replay = await record(client, headers, uscc)
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == first.json()
        other = await record(client, headers, uscc, tier="innovative")
        assert other.status_code == 409
        assert other.json()["code"] == "idempotency_key_reused"
        assert len(await outbox_events(client)) == 1

    @pytest.mark.parametrize(
        ("change", "status", "code"),
        [
            ({"issued_on": "2026-06-16"}, 422, "issued_on_in_future"),
            ({"tier": "giant"}, 422, "request_invalid"),
            ({"level": "municipal"}, 422, "request_invalid"),
            ({"issued_on": "2026-02-30"}, 422, "request_invalid"),
            ({"number": "编号<script>"}, 422, "request_invalid"),
            ({"colour": "red"}, 422, "request_invalid"),
            ({"uscc": "91620100000000000X"}, 422, "request_invalid"),
        ],
    )
    async def test_bad_input_is_a_problem_and_records_nothing(
        self,
        client: httpx.AsyncClient,
        province: dict[str, str],
        change: dict[str, str],
        status: int,
        code: str,
    ) -> None:
        uscc = await add_enterprise(client, "MC000009")
        body = {
            "uscc": uscc,
            "tier": "specialised",
            "level": "provincial",
            "issued_on": "2026-06-01",
        }
        response = await client.post(
            f"{URL}/certificates", headers=province, json={**body, **change}
        )
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code
        assert response.json()["detail_zh"]
        listed = await client.get(f"{URL}/certificates", headers=province)
        assert listed.json()["items"] == []

    async def test_an_enterprise_not_in_the_directory_is_not_found(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        from sme_common.ids import make_uscc

        response = await record(client, province, make_uscc(region="620102", body="MC999999"))
        assert response.status_code == 404
        assert response.json()["code"] == "enterprise_not_found"


class TestAccess:
    async def test_only_the_province_records_titles(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        uscc = await add_enterprise(client, "MD000001")
        assert (await record(client, {}, uscc)).status_code == 401
        for headers in (
            bearer("city_officer", region="620100"),
            bearer("county_officer", region="620102"),
            bearer("bank", scopes=("certification:write",)),
            bearer("expert"),
        ):
            response = await record(client, headers, uscc)
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "role_forbidden"

    async def test_officers_see_the_certificates_of_their_region_only(
        self, client: httpx.AsyncClient, province: dict[str, str], bearer: TokenFactory
    ) -> None:
        lanzhou = await add_enterprise(client, "MD000002", region="620102", unit="620100")
        jiayuguan = await add_enterprise(client, "MD000003", region="620201", unit="620200")
        inside = (await record(client, province, lanzhou)).json()
        outside = (await record(client, province, jiayuguan)).json()
        city = bearer("city_officer", region="620100")
        county = bearer("county_officer", region="620102")
        other_county = bearer("county_officer", region="620103")
        for headers in (city, county):
            listed = (await client.get(f"{URL}/certificates", headers=headers)).json()
            assert [c["id"] for c in listed["items"]] == [inside["id"]]
            one = await client.get(f"{URL}/certificates/{inside['id']}", headers=headers)
            assert one.status_code == 200
            hidden = await client.get(f"{URL}/certificates/{outside['id']}", headers=headers)
            assert hidden.status_code == 404
            assert hidden.json()["code"] == "certificate_not_found"
            pdf = await client.get(f"{URL}/certificates/{outside['id']}/pdf", headers=headers)
            assert pdf.status_code == 404
        assert (await client.get(f"{URL}/certificates", headers=other_county)).json()["items"] == []
        everything = (await client.get(f"{URL}/certificates", headers=province)).json()
        assert {c["id"] for c in everything["items"]} == {inside["id"], outside["id"]}
        for path in (f"/certificates/{inside['id']}", "/certificates"):
            assert (await client.get(f"{URL}{path}")).status_code == 401
            bank = bearer("bank", region="620000", scopes=("certification:read",))
            assert (await client.get(f"{URL}{path}", headers=bank)).status_code == 403

    async def test_a_city_officer_cannot_change_a_certificate_of_another_city(
        self, client: httpx.AsyncClient, province: dict[str, str], bearer: TokenFactory
    ) -> None:
        jiayuguan = await add_enterprise(client, "MD000004", region="620201", unit="620200")
        certificate = (await record(client, province, jiayuguan)).json()
        city = bearer("city_officer", region="620100")
        filing = await client.post(
            f"{URL}/certificates/{certificate['id']}/re-review/filing",
            headers=city,
            json={"filed_on": "2026-06-15"},
        )
        assert filing.status_code == 404
        revoking = await client.post(
            f"{URL}/certificates/{certificate['id']}/revocation",
            headers=city,
            json={"reason": "violation", "revoked_on": "2026-06-15", "note": "x"},
        )
        assert revoking.status_code == 403, "revocation is the province's"

    async def test_list_filters_and_pages(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        ids = []
        for n in range(3):
            uscc = await add_enterprise(client, f"MD00010{n}")
            ids.append((await record(client, province, uscc)).json()["id"])
        first = (await client.get(f"{URL}/certificates?limit=2", headers=province)).json()
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = await client.get(
            f"{URL}/certificates", headers=province, params={"cursor": first["next_cursor"]}
        )
        seen = [c["id"] for c in first["items"]] + [c["id"] for c in rest.json()["items"]]
        assert sorted(seen) == sorted(ids) and rest.json()["next_cursor"] is None
        only = await client.get(
            f"{URL}/certificates", headers=province, params={"tier": "innovative"}
        )
        assert only.json()["items"] == []
        bad = await client.get(f"{URL}/certificates", headers=province, params={"cursor": "x"})
        assert bad.status_code == 422 and bad.json()["code"] == "cursor_invalid"


class TestPdf:
    async def test_the_pdf_carries_the_enterprise_number_and_code_in_chinese(
        self, client: httpx.AsyncClient, province: dict[str, str], bearer: TokenFactory
    ) -> None:
        uscc = await add_enterprise(client, "ME000001", name="甘肃陇原精工机械有限公司")
        certificate = (await record(client, province, uscc)).json()
        response = await client.get(
            f"{URL}/certificates/{certificate['id']}/pdf",
            headers=bearer("city_officer", region="620100"),
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert "甘肃陇原精工机械有限公司" in text
        assert certificate["number"] in text
        assert "专精特新中小企业" in text
        assert domain.grouped(certificate["verification_code"]) in text
        assert "2029年6月15日" in text

    async def test_a_missing_font_is_a_clear_503(
        self, certification_database_url: str, auth_dir, province: dict[str, str], tmp_path
    ) -> None:
        from services.certification.tests.certificate_support import certification, settings_for

        settings = settings_for(
            certification_database_url, auth_dir, cjk_font_path=tmp_path / "none.ttc"
        )
        async with certification(settings) as client:
            uscc = await add_enterprise(client, "ME000002")
            certificate = (await record(client, province, uscc)).json()
            response = await client.get(
                f"{URL}/certificates/{certificate['id']}/pdf", headers=province
            )
        assert response.status_code == 503
        assert response.json()["code"] == "certificate_font_missing"
        assert "fonts-wqy-zenhei" in response.json()["detail"]


class TestVerification:
    async def test_anyone_may_verify_a_code_without_a_token_and_learns_nothing_personal(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await add_enterprise(client, "MF000001")
        certificate = (await record(client, province, uscc)).json()
        code = certificate["verification_code"]
        for typed in (code, code.lower(), domain.grouped(code)):
            response = await client.get(f"{URL}/verify/{typed}")
            assert response.status_code == 200, (typed, response.text)
        shown = response.json()
        assert shown == {
            "number": certificate["number"],
            "enterprise_name": "兰州示例精密科技有限公司",
            "tier": "specialised",
            "title_zh": "专精特新中小企业",
            "level": "provincial",
            "issued_on": "2026-06-15",
            "expires_on": "2029-06-15",
            "status": "valid",
            "valid": True,
            "checked_on": "2026-06-15",
        }

    async def test_a_revoked_title_verifies_as_not_valid(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await add_enterprise(client, "MF000002")
        certificate = (await record(client, province, uscc)).json()
        await client.post(
            f"{URL}/certificates/{certificate['id']}/revocation",
            headers=province,
            json={"reason": "violation", "revoked_on": "2026-06-15", "note": "重大安全事故"},
        )
        shown = (await client.get(f"{URL}/verify/{certificate['verification_code']}")).json()
        assert (shown["status"], shown["valid"]) == ("revoked", False)

    async def test_unknown_and_classified_codes_are_not_found(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await add_enterprise(client, "MF000003")
        secret = (await record(client, province, uscc, classified=True)).json()
        assert secret["classified"] is True
        for code in (secret["verification_code"], domain.new_verification_code()):
            response = await client.get(f"{URL}/verify/{code}")
            assert response.status_code == 404
            assert response.json()["code"] == "verification_code_not_found"
        assert (await client.get(f"{URL}/verify/not-a-code")).status_code == 422

    def test_codes_carry_a_hundred_random_bits(self) -> None:
        codes = {domain.new_verification_code() for _ in range(2000)}
        assert len(codes) == 2000
        assert all(domain.normalised_code(c) == c for c in codes)
        assert len(domain.CODE_ALPHABET) ** domain.CODE_LENGTH == 2**100
