"""Credit flags, cultivation pools (by officers and by certificate events), service people, the
coverage report and the profile."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.registry.tests.support import register_enterprise
from sme_common.events.consumer import ConsumerRunner, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import TokenFactory
from sme_registry.activity.consumers import certification_consumer, history_consumer

URL = "/api/registry/v1"


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


async def deliver(client: httpx.AsyncClient, event: CloudEvent) -> Outcome:
    database = client.app.state.database  # type: ignore[attr-defined]
    for spec in (certification_consumer, history_consumer):
        if event.type in spec.handlers:
            runner = ConsumerRunner(
                spec=spec, database=database, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1")
            )
            return await runner.apply(event, spec.handlers[event.type])
    raise AssertionError(event.type)


def certificate_event(
    verb: str, uscc: str, certificate_id: str, tier: str, **data: object
) -> CloudEvent:
    return CloudEvent(
        type=f"certification.certificate.{verb}.v1",
        source="/sme/certification",
        subject=uscc,
        data={"certificate_id": certificate_id, "uscc": uscc, "tier": tier, **data},
    )


def granted(uscc: str, certificate_id: str, tier: str, issued: str = "2026-01-10") -> CloudEvent:
    return certificate_event(
        "granted",
        uscc,
        certificate_id,
        tier,
        level="provincial",
        certificate_number=f"GS-{certificate_id}",
        issued_on=issued,
        expires_on="2029-01-09",
    )


class TestFlags:
    async def test_raising_and_lifting_a_flag_is_kept_and_announced(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MK000001")
        raised = await client.post(
            f"{URL}/enterprises/{uscc}/flags",
            headers=officer,
            json={
                "kind": "abnormal_operations",
                "source": "甘肃省市场监督管理局",
                "reference": "JYYC-2026-001",
                "started_on": "2026-03-01",
            },
        )
        assert raised.status_code == 201, raised.text
        flag = raised.json()
        assert flag["active"] is True
        listed = await client.get(
            f"{URL}/enterprises", params={"flag": "abnormal_operations"}, headers=officer
        )
        assert [e["uscc"] for e in listed.json()["items"]] == [uscc]
        today = date.today().isoformat()
        lifted = await client.patch(
            f"{URL}/enterprises/{uscc}/flags/{flag['id']}",
            headers=officer,
            json={"version": 1, "ended_on": today},
        )
        assert lifted.status_code == 200
        assert lifted.json()["active"] is False
        listed = await client.get(f"{URL}/enterprises", params={"flag": "any"}, headers=officer)
        assert listed.json()["items"] == []
        from sqlalchemy import text

        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            payloads = (
                (
                    await session.execute(
                        text(
                            "SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox_message WHERE key = :u "
                            "AND event_type = 'registry.enterprise.flags-changed.v1' ORDER BY id"
                        ),
                        {"u": uscc},
                    )
                )
                .scalars()
                .all()
            )
        assert [(p["change"], p["active_flags"]) for p in payloads] == [
            ("raised", ["abnormal_operations"]),
            ("lifted", []),
        ]

    async def test_the_same_flag_from_the_same_source_is_recorded_once(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MK000002")
        body = {
            "kind": "serious_dishonesty",
            "source": "信用中国",
            "reference": "SX-1",
            "started_on": "2026-01-01",
        }
        assert (
            await client.post(f"{URL}/enterprises/{uscc}/flags", headers=officer, json=body)
        ).status_code == 201
        again = await client.post(f"{URL}/enterprises/{uscc}/flags", headers=officer, json=body)
        assert again.status_code == 409 and again.json()["code"] == "flag_exists"

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"kind": "bankrupt", "source": "x", "started_on": "2026-01-01"}, "request_invalid"),
            (
                {
                    "kind": "major_accident",
                    "source": "x",
                    "started_on": (date.today() + timedelta(days=3)).isoformat(),
                },
                "started_on_in_future",
            ),
            (
                {
                    "kind": "major_accident",
                    "source": "x",
                    "started_on": "2026-02-01",
                    "ended_on": "2026-01-01",
                },
                "ended_before_started",
            ),
        ],
    )
    async def test_bad_flags_are_refused(
        self, client: httpx.AsyncClient, officer: dict[str, str], body: dict[str, object], code: str
    ) -> None:
        uscc = await register_enterprise(client, officer, "MK000003")
        response = await client.post(f"{URL}/enterprises/{uscc}/flags", headers=officer, json=body)
        assert response.status_code == 422 and response.json()["code"] == code

    async def test_every_change_of_a_flag_is_kept_as_a_revision(
        self, client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
    ) -> None:
        uscc = await register_enterprise(client, officer, "MK000004")
        raised = await client.post(
            f"{URL}/enterprises/{uscc}/flags",
            headers=officer,
            json={
                "kind": "major_accident",
                "source": "应急管理厅",
                "started_on": "2026-01-05",
                "note": "初报",
            },
        )
        flag_id = raised.json()["id"]
        noted = await client.patch(
            f"{URL}/enterprises/{uscc}/flags/{flag_id}",
            headers=officer,
            json={"version": 1, "note": "核实后更正"},
        )
        assert noted.status_code == 200, noted.text
        city = bearer("city_officer", region="620100", subject="officer:lanzhou")
        lifted = await client.patch(
            f"{URL}/enterprises/{uscc}/flags/{flag_id}",
            headers=city,
            json={"version": 2, "ended_on": date.today().isoformat()},
        )
        assert lifted.status_code == 200, lifted.text
        history = await client.get(
            f"{URL}/enterprises/{uscc}/flags/{flag_id}/history", headers=officer
        )
        assert history.status_code == 200, history.text
        items = history.json()["items"]
        assert [(i["version"], i["change"], i["note"], i["ended_on"]) for i in items] == [
            (1, "raised", "初报", None),
            (2, "updated", "核实后更正", None),
            (3, "lifted", "核实后更正", date.today().isoformat()),
        ]
        assert items[2]["recorded_by"] == "officer:lanzhou"
        elsewhere = bearer("city_officer", region="620500")
        hidden = await client.get(
            f"{URL}/enterprises/{uscc}/flags/{flag_id}/history", headers=elsewhere
        )
        assert hidden.status_code == 404

    async def test_the_same_reference_written_another_way_is_the_same_flag(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MK000005")
        body = {
            "kind": "serious_dishonesty",
            "source": "信用中国",
            "reference": "SX-2026-01",
            "started_on": "2026-01-01",
        }
        first = await client.post(f"{URL}/enterprises/{uscc}/flags", headers=officer, json=body)
        assert first.status_code == 201
        again = await client.post(
            f"{URL}/enterprises/{uscc}/flags",
            headers=officer,
            json={**body, "reference": "ｓｘ－２０２６－０１", "source": "信用 中国"},
        )
        assert again.status_code == 409 and again.json()["code"] == "flag_exists"


class TestPools:
    async def test_officers_move_enterprises_and_the_path_is_kept(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "ML000001")
        entered = await client.post(
            f"{URL}/enterprises/{uscc}/pool-moves",
            headers=officer,
            json={
                "action": "enter",
                "pool": "scale_up",
                "on": "2026-02-01",
                "reason": "营业收入接近规上标准",
                "source_ref": "甘工信发〔2023〕75号",
            },
        )
        assert entered.status_code == 200, entered.text
        assert entered.json()["current"] == ["scale_up"]
        twice = await client.post(
            f"{URL}/enterprises/{uscc}/pool-moves",
            headers=officer,
            json={"action": "enter", "pool": "scale_up", "on": "2026-02-02", "reason": "again"},
        )
        assert twice.status_code == 409 and twice.json()["code"] == "already_in_pool"
        left = await client.post(
            f"{URL}/enterprises/{uscc}/pool-moves",
            headers=officer,
            json={
                "action": "leave",
                "pool": "scale_up",
                "on": "2026-06-30",
                "reason": "已纳入规上统计",
            },
        )
        path = left.json()
        assert path["current"] == []
        assert [(e["pool"], e["left_on"], e["left_reason"]) for e in path["path"]] == [
            ("scale_up", "2026-06-30", "已纳入规上统计")
        ]

    async def test_certificates_move_tier_and_pools_up_and_back_down(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "ML000002")
        assert (
            await deliver(client, granted(uscc, "c1", "innovative", "2025-05-01"))
            is Outcome.APPLIED
        )
        assert (
            await deliver(client, granted(uscc, "c2", "specialised", "2026-01-10"))
            is Outcome.APPLIED
        )
        pools = (await client.get(f"{URL}/enterprises/{uscc}/pools", headers=officer)).json()
        assert pools["current"] == ["specialised"]
        assert [(e["pool"], e["left_on"]) for e in pools["path"]] == [
            ("innovative", "2026-01-10"),
            ("specialised", None),
        ]
        enterprise = (await client.get(f"{URL}/enterprises/{uscc}", headers=officer)).json()
        assert enterprise["tier"] == "specialised"

        revoked = certificate_event(
            "revoked",
            uscc,
            "c2",
            "specialised",
            revoked_on="2026-09-01",
            reason="虚假申报",
            falsification=True,
        )
        assert await deliver(client, revoked) is Outcome.APPLIED
        pools = (await client.get(f"{URL}/enterprises/{uscc}/pools", headers=officer)).json()
        assert pools["current"] == ["innovative"], "falls back to the title it still holds"
        enterprise = (await client.get(f"{URL}/enterprises/{uscc}", headers=officer)).json()
        assert enterprise["tier"] == "innovative"
        assert await deliver(client, revoked) is Outcome.DUPLICATE

        history = (await client.get(f"{URL}/enterprises/{uscc}/history", headers=officer)).json()
        assert [h["change_type"] for h in history["items"]][-1] == "tier_changed"

    async def test_a_certificate_for_an_unknown_enterprise_is_a_permanent_error(
        self, client: httpx.AsyncClient
    ) -> None:
        from sme_common.events.consumer import PermanentEventError

        with pytest.raises(PermanentEventError):
            await deliver(client, granted(make_uscc(body="ML999999"), "c9", "innovative"))


class TestPeople:
    async def test_report_lists_little_giants_without_a_commissioner_by_county(
        self, client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
    ) -> None:
        covered = await register_enterprise(client, officer, "MM000001", region="620102")
        uncovered = await register_enterprise(client, officer, "MM000002", region="620103")
        for n, uscc in enumerate((covered, uncovered)):
            await deliver(client, granted(uscc, f"lg{n}", "little_giant"))
        person = await client.post(
            f"{URL}/people",
            headers=officer,
            json={"name": "张专员", "role": "service_commissioner", "region_code": "620102"},
        )
        assert person.status_code == 201, person.text
        person_id = person.json()["id"]
        assigned = await client.post(
            f"{URL}/people/{person_id}/assignments",
            headers=officer,
            json={"uscc": covered, "assigned_on": "2026-02-01"},
        )
        assert assigned.status_code == 201
        report = (
            await client.get(f"{URL}/reports/little-giants-without-commissioner", headers=officer)
        ).json()
        assert report["total"] == 1
        assert report["counties"][0]["region_code"] == "620103"
        assert report["counties"][0]["region_name"] == "七里河区"
        assert [e["uscc"] for e in report["counties"][0]["enterprises"]] == [uncovered]
        people = (await client.get(f"{URL}/enterprises/{covered}/people", headers=officer)).json()
        assert [p["name"] for p in people["items"]] == ["张专员"]

        ended = await client.post(
            f"{URL}/people/{person_id}/assignments/{assigned.json()['id']}/end",
            headers=officer,
            json={"ended_on": "2026-06-01"},
        )
        assert ended.status_code == 200
        report = (
            await client.get(f"{URL}/reports/little-giants-without-commissioner", headers=officer)
        ).json()
        assert report["total"] == 2
        tianshui = bearer("city_officer", region="620500")
        scoped = (
            await client.get(f"{URL}/reports/little-giants-without-commissioner", headers=tianshui)
        ).json()
        assert scoped["total"] == 0

    async def test_people_are_appointed_only_in_your_region(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        county = bearer("county_officer", region="620102")
        elsewhere = await client.post(
            f"{URL}/people",
            headers=county,
            json={"name": "李顾问", "role": "financial_adviser", "region_code": "620103"},
        )
        assert elsewhere.status_code == 403

    async def test_appointing_honours_the_idempotency_key(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        body = {"name": "赵专员", "role": "service_commissioner", "region_code": "620102"}
        headers = {**officer, "Idempotency-Key": "appoint-zhao-1"}
        first = await client.post(f"{URL}/people", headers=headers, json=body)
        retry = await client.post(f"{URL}/people", headers=headers, json=body)
        assert (first.status_code, retry.status_code) == (201, 201), retry.text
        assert retry.json() == first.json()
        assert retry.headers.get("idempotent-replayed") == "true"
        listed = (await client.get(f"{URL}/people", headers=officer)).json()["items"]
        assert [p["name"] for p in listed].count("赵专员") == 1
        other = await client.post(f"{URL}/people", headers=headers, json={**body, "name": "钱专员"})
        assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"

    async def test_ending_an_assignment_records_who_ended_it(
        self, client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
    ) -> None:
        uscc = await register_enterprise(client, officer, "MM000003")
        person = await client.post(
            f"{URL}/people",
            headers=officer,
            json={"name": "孙顾问", "role": "financial_adviser", "region_code": "620102"},
        )
        person_id = person.json()["id"]
        assigned = await client.post(
            f"{URL}/people/{person_id}/assignments",
            headers=officer,
            json={"uscc": uscc.lower(), "assigned_on": "2026-02-01"},
        )
        assert assigned.status_code == 201, assigned.text
        assert assigned.json()["ended_by"] is None
        county = bearer("county_officer", region="620102", subject="officer:chengguan")
        ended = await client.post(
            f"{URL}/people/{person_id}/assignments/{assigned.json()['id']}/end",
            headers=county,
            json={"ended_on": "2026-06-01"},
        )
        assert ended.status_code == 200, ended.text
        assert ended.json()["ended_by"] == "officer:chengguan"
        assert ended.json()["ended_at"] is not None
        assert ended.json()["recorded_by"] != "officer:chengguan"

    async def test_each_assignment_and_end_announces_everyone_serving_the_enterprise(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MM000004")
        elsewhere = await register_enterprise(client, officer, "MM000005")
        appointed = {}
        for name, role, phone in (
            ("周专员", "service_commissioner", "0931-8000001"),
            ("吴顾问", "financial_adviser", None),
        ):
            person = await client.post(
                f"{URL}/people",
                headers=officer,
                json={
                    "name": name,
                    "role": role,
                    "region_code": "620102",
                    "organisation": "城关区工业和信息化局",
                    "phone": phone,
                },
            )
            assert person.status_code == 201, person.text
            appointed[name] = person.json()["id"]

        async def assign(name: str, to: str, on: str) -> str:
            made = await client.post(
                f"{URL}/people/{appointed[name]}/assignments",
                headers=officer,
                json={"uscc": to, "assigned_on": on},
            )
            assert made.status_code == 201, made.text
            return str(made.json()["id"])

        commissioner = await assign("周专员", uscc, "2026-02-01")
        adviser = await assign("吴顾问", uscc, "2026-03-01")
        await assign("吴顾问", elsewhere, "2026-03-02")
        ended = await client.post(
            f"{URL}/people/{appointed['周专员']}/assignments/{commissioner}/end",
            headers=officer,
            json={"ended_on": "2026-06-01"},
        )
        assert ended.status_code == 200, ended.text
        await assign("周专员", elsewhere, "2026-06-02")

        events = await people_events(client, uscc)
        adviser_entry = {
            "person_id": appointed["吴顾问"],
            "name": "吴顾问",
            "role": "financial_adviser",
            "organisation": "城关区工业和信息化局",
            "phone": None,
            "assigned_on": "2026-03-01",
        }
        commissioner_entry = {
            "person_id": appointed["周专员"],
            "name": "周专员",
            "role": "service_commissioner",
            "organisation": "城关区工业和信息化局",
            "phone": "0931-8000001",
            "assigned_on": "2026-02-01",
        }
        assert [(e["change"], e["assignment_id"], e["people"]) for e in events] == [
            ("assigned", commissioner, [commissioner_entry]),
            ("assigned", adviser, [adviser_entry, commissioner_entry]),
            ("ended", commissioner, [adviser_entry]),
        ]
        assert all(e["uscc"] == uscc for e in events)
        times = [datetime.fromisoformat(e["changed_at"]) for e in events]
        assert times == sorted(times) and all(t.tzinfo is not None for t in times)
        # The other enterprise's events carry its own list, never this one's.
        other = await people_events(client, elsewhere)
        assert [[p["name"] for p in e["people"]] for e in other] == [
            ["吴顾问"],
            ["吴顾问", "周专员"],
        ]

    async def test_a_refused_assignment_announces_nothing(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MM000006")
        person = await client.post(
            f"{URL}/people",
            headers=officer,
            json={"name": "郑专员", "role": "service_commissioner", "region_code": "620102"},
        )
        person_id = person.json()["id"]
        body = {"uscc": uscc, "assigned_on": "2026-02-01"}
        first = await client.post(
            f"{URL}/people/{person_id}/assignments", headers=officer, json=body
        )
        again = await client.post(
            f"{URL}/people/{person_id}/assignments", headers=officer, json=body
        )
        assert (first.status_code, again.status_code) == (201, 409)
        end_url = f"{URL}/people/{person_id}/assignments/{first.json()['id']}/end"
        early = await client.post(end_url, headers=officer, json={"ended_on": "2026-01-01"})
        assert early.status_code == 422
        assert [e["change"] for e in await people_events(client, uscc)] == ["assigned"]


async def people_events(client: httpx.AsyncClient, uscc: str) -> list[dict[str, Any]]:
    """The ``service-people-changed`` events of ``uscc`` in registry's outbox, in order."""
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.execute(
            text(
                "SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox_message "
                "WHERE key = :u AND topic = 'registry.enterprise' AND event_type = :t ORDER BY id"
            ),
            {"u": uscc, "t": "registry.enterprise.service-people-changed.v1"},
        )
        return list(rows.scalars().all())


async def test_profile_shows_everything_and_hides_complainants_below_the_province(
    client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
) -> None:
    uscc = await register_enterprise(client, officer, "MN000001")
    await client.patch(
        f"{URL}/enterprises/{uscc}", headers=officer, json={"version": 1, "industry_code": "C3411"}
    )
    wan = 1_000_000
    await client.put(
        f"{URL}/enterprises/{uscc}/facts/2025",
        headers=officer,
        json={
            "employees": 50,
            "operating_revenue_fen": 3000 * wan,
            "total_assets_fen": 2000 * wan,
            "total_liabilities_fen": 500 * wan,
        },
    )
    await deliver(client, granted(uscc, "p1", "specialised"))
    for event in (
        CloudEvent(
            type="funding.entitlement.approved.v1",
            source="/sme/funding",
            subject=uscc,
            data={
                "entitlement_id": "e1",
                "uscc": uscc,
                "policy_code": "GS-ZJTX-2023",
                "amount_fen": 30_000_000,
                "approved_at": "2026-03-01T00:00:00+08:00",
            },
        ),
        CloudEvent(
            type="funding.entitlement.created.v1",
            source="/sme/funding",
            subject=uscc,
            data={
                "entitlement_id": "e1",
                "uscc": uscc,
                "policy_code": "GS-ZJTX-2023",
                "amount_fen": 30_000_000,
                "status": "pending_approval",
                "certificate_id": "p1",
                "created_at": "2026-02-01T00:00:00+08:00",
            },
        ),
        CloudEvent(
            type="funding.clawback.raised.v1",
            source="/sme/funding",
            subject=uscc,
            data={
                "clawback_id": "rec_1",
                "uscc": uscc,
                "amount_fen": 30_000_000,
                "reason": "虚假申报",
            },
        ),
        CloudEvent(
            type="funding.clawback.recovered.v1",
            source="/sme/funding",
            subject=uscc,
            data={
                "clawback_id": "rec_1",
                "uscc": uscc,
                "amount_fen": 10_000_000,
                "recovered_fen": 10_000_000,
                "outstanding_fen": 20_000_000,
                "status": "partially_recovered",
                "received_on": "2026-06-10",
                "receipt_ref": "GK-1",
            },
        ),
        CloudEvent(
            type="finance-matching.loan.reported.v1",
            source="/sme/finance-matching",
            subject=uscc,
            data={
                "report_id": "r1",
                "uscc": uscc,
                "institution_id": "bank-1",
                "outcome": "granted",
                "amount_fen": 500_000_000,
                "reported_at": "2026-04-01T00:00:00+08:00",
            },
        ),
        CloudEvent(
            type="complaints.case.accepted.v1",
            source="/sme/complaints",
            subject=uscc,
            data={
                "case_id": "k1",
                "uscc": uscc,
                "party_role": "complainant",
                "amount_owed_fen": 1_000_000,
                "occurred_at": "2026-05-01T00:00:00+08:00",
            },
        ),
        CloudEvent(
            type="complaints.case.accepted.v1",
            source="/sme/complaints",
            subject=uscc,
            data={
                "case_id": "k2",
                "uscc": uscc,
                "party_role": "respondent",
                "amount_owed_fen": 2_000_000,
                "occurred_at": "2026-05-02T00:00:00+08:00",
            },
        ),
    ):
        assert await deliver(client, event) is Outcome.APPLIED
    province = (await client.get(f"{URL}/enterprises/{uscc}/profile", headers=officer)).json()
    assert province["enterprise"]["tier"] == "specialised"
    assert province["latest_facts"]["ratios"]["debt_ratio"] == "0.2500"
    assert province["size_class"]["size_class"] == "small"
    assert province["pools"]["current"] == ["specialised"]
    assert [c["tier"] for c in province["certificates"]] == ["specialised"]
    assert sorted(a["kind"] for a in province["support_history"]) == [
        "clawback_raised",
        "clawback_recovered",
        "entitlement_approved",
        "entitlement_created",
    ]
    assert [a["kind"] for a in province["financing_history"]] == ["loan_reported"]
    assert len(province["complaint_records"]) == 2
    county = bearer("county_officer", region="620102")
    seen = (await client.get(f"{URL}/enterprises/{uscc}/profile", headers=county)).json()
    assert [c["summary"]["party_role"] for c in seen["complaint_records"]] == ["respondent"]
    outsider = bearer("county_officer", region="620103")
    assert (
        await client.get(f"{URL}/enterprises/{uscc}/profile", headers=outsider)
    ).status_code == 404
