"""The enterprise role (issue 8): a token bound to one USCC reads the current state of its own
record, files its own facts as a declaration, and is refused everything else; another enterprise
answers 404 as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from services.registry.tests.support import URL, register_enterprise
from sme_common.testing.plugin import TokenFactory


@dataclass(frozen=True)
class Register:
    own: str
    other: str
    flag_id: str
    person_id: str
    assignment_id: str


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000", subject="officer:province")


async def _populate(client: httpx.AsyncClient, officer: dict[str, str]) -> Register:
    """Two enterprises of the same county, with facts, a flag, a pool and a commissioner each."""
    own = await register_enterprise(client, officer, "MR000001", "自家示例科技有限公司")
    other = await register_enterprise(client, officer, "MR000002", "邻家示例科技有限公司")
    flag_ids = []
    for uscc in (own, other):
        filed = await client.put(
            f"{URL}/enterprises/{uscc}/facts/2024",
            headers=officer,
            json={"source": "tax", "employees": 80, "operating_revenue_fen": 3_000_000_000},
        )
        assert filed.status_code == 201, filed.text
        moved = await client.post(
            f"{URL}/enterprises/{uscc}/pool-moves",
            headers=officer,
            json={"action": "enter", "pool": "scale_up", "on": "2026-02-01", "reason": "培育"},
        )
        assert moved.status_code == 200, moved.text
        raised = await client.post(
            f"{URL}/enterprises/{uscc}/flags",
            headers=officer,
            json={
                "kind": "abnormal_operations",
                "source": "甘肃省市场监督管理局",
                "reference": f"JYYC-{uscc[-4:]}",
                "started_on": "2026-03-01",
            },
        )
        assert raised.status_code == 201, raised.text
        flag_ids.append(raised.json()["id"])
    person = await client.post(
        f"{URL}/people",
        headers=officer,
        json={"name": "张专员", "role": "service_commissioner", "region_code": "620102"},
    )
    assert person.status_code == 201, person.text
    assigned = await client.post(
        f"{URL}/people/{person.json()['id']}/assignments",
        headers=officer,
        json={"uscc": own, "assigned_on": "2026-02-01"},
    )
    assert assigned.status_code == 201, assigned.text
    return Register(own, other, flag_ids[0], person.json()["id"], assigned.json()["id"])


OWN_RECORD_READS = [
    "/enterprises/{uscc}",
    "/enterprises/{uscc}?as_of=2026-01-01",
    "/enterprises/{uscc}/facts",
    "/enterprises/{uscc}/facts/2024",
    "/enterprises/{uscc}/size-class",
    "/enterprises/{uscc}/pools",
    "/enterprises/{uscc}/flags",
    "/enterprises/{uscc}/people",
    "/enterprises/{uscc}/profile",
]


@pytest.mark.parametrize("path", OWN_RECORD_READS)
async def test_an_enterprise_reads_its_own_record_and_another_is_not_found(
    client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory, path: str
) -> None:
    register = await _populate(client, officer)
    enterprise = bearer("enterprise", uscc=register.own)
    own = await client.get(URL + path.format(uscc=register.own), headers=enterprise)
    if "as_of" in path:
        # Registered today: the entry did not yet exist then, which is its own record's answer.
        assert own.status_code == 404, own.text
        assert own.json()["code"] == "enterprise_not_registered_then"
    else:
        assert own.status_code == 200, own.text
        assert register.other not in own.text
    other = await client.get(URL + path.format(uscc=register.other), headers=enterprise)
    assert other.status_code == 404, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "enterprise_not_found"
    # Where the enterprise found nothing, the officer finds the other enterprise as it found itself.
    officers = await client.get(URL + path.format(uscc=register.other), headers=officer)
    assert officers.status_code == own.status_code, officers.text


async def test_the_profile_an_enterprise_reads_is_its_own_with_its_commissioner(
    client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
) -> None:
    register = await _populate(client, officer)
    enterprise = bearer("enterprise", uscc=register.own)
    profile = (
        await client.get(f"{URL}/enterprises/{register.own}/profile", headers=enterprise)
    ).json()
    assert profile["enterprise"]["uscc"] == register.own
    assert [p["id"] for p in profile["service_people"]] == [register.person_id]
    assert [f["id"] for f in profile["flags"]] == [register.flag_id]
    assert profile["pools"]["current"] == ["scale_up"]


@pytest.mark.parametrize(
    "params",
    [{}, {"region_code": "620102"}, {"q": "示例科技"}, {"pool": "scale_up"}, {"flag": "any"}],
)
async def test_an_enterprise_search_finds_itself_alone(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    bearer: TokenFactory,
    params: dict[str, str],
) -> None:
    register = await _populate(client, officer)
    found = await client.get(
        f"{URL}/enterprises", params=params, headers=bearer("enterprise", uscc=register.own)
    )
    assert found.status_code == 200, found.text
    assert [e["uscc"] for e in found.json()["items"]] == [register.own]
    everyone = await client.get(f"{URL}/enterprises", params=params, headers=officer)
    assert {register.own, register.other} <= {e["uscc"] for e in everyone.json()["items"]}


async def test_an_enterprise_search_for_another_by_name_finds_nothing(
    client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
) -> None:
    register = await _populate(client, officer)
    found = await client.get(
        f"{URL}/enterprises",
        params={"q": "邻家示例"},
        headers=bearer("enterprise", uscc=register.own),
    )
    assert found.status_code == 200 and found.json()["items"] == []


def _refused_calls(register: Register) -> list[tuple[str, str, dict[str, object] | None]]:
    own = register.own
    return [
        ("POST", "/enterprises", {"uscc": own, "name": "x", "region_code": "620102"}),
        ("PATCH", f"/enterprises/{own}", {"version": 1, "name": "自家改名有限公司"}),
        ("GET", f"/enterprises/{own}/history", None),
        ("GET", "/changes", None),
        ("POST", f"/enterprises/{own}/flags", {"kind": "major_accident", "source": "x"}),
        ("PATCH", f"/enterprises/{own}/flags/{register.flag_id}", {"version": 1, "note": "x"}),
        ("GET", f"/enterprises/{own}/flags/{register.flag_id}/history", None),
        ("POST", f"/enterprises/{own}/pool-moves", {"action": "leave", "pool": "scale_up"}),
        ("POST", "/people", {"name": "x", "role": "service_commissioner", "region_code": "620102"}),
        ("GET", "/people", None),
        ("POST", f"/people/{register.person_id}/assignments", {"uscc": own}),
        (
            "POST",
            f"/people/{register.person_id}/assignments/{register.assignment_id}/end",
            {"ended_on": "2026-03-01"},
        ),
        ("GET", "/reports/little-giants-without-commissioner", None),
        ("GET", "/imports/template", None),
        ("POST", "/imports", None),
        ("GET", "/imports/import_x", None),
        ("GET", "/imports/import_x/errors", None),
        ("GET", "/exports/enterprises", None),
        ("GET", "/audit-records", None),
    ]


async def test_an_enterprise_is_refused_what_is_the_administrations(
    client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
) -> None:
    register = await _populate(client, officer)
    enterprise = bearer("enterprise", uscc=register.own)
    before = (await client.get(f"{URL}/enterprises/{register.own}", headers=officer)).json()
    for method, path, body in _refused_calls(register):
        response = await client.request(method, URL + path, headers=enterprise, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "role_forbidden", (method, path)
    after = (await client.get(f"{URL}/enterprises/{register.own}", headers=officer)).json()
    assert after == before  # nothing the enterprise sent changed anything


async def test_an_enterprise_reads_reference_data(
    client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
) -> None:
    register = await _populate(client, officer)
    enterprise = bearer("enterprise", uscc=register.own)
    for path in ("/reference/regions", "/reference/industry-sections"):
        assert (await client.get(URL + path, headers=enterprise)).status_code == 200


class TestSelfDeclaredFacts:
    async def test_an_enterprise_files_and_corrects_its_own_facts_as_a_declaration(
        self, client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
    ) -> None:
        register = await _populate(client, officer)
        enterprise = bearer("enterprise", uscc=register.own, subject="person:legal-rep")
        path = f"{URL}/enterprises/{register.own}/facts/2025"
        filed = await client.put(path, headers=enterprise, json={"employees": 90})
        assert filed.status_code == 201, filed.text
        assert filed.json()["source"] == "self_declared"
        corrected = await client.put(
            path,
            headers={**enterprise, "If-Match": filed.headers["ETag"]},
            json={"source": "self_declared", "employees": 95},
        )
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["employees"] == 95 and corrected.json()["version"] == 2
        # An officer reads what the enterprise declared, and who declared it.
        seen = (await client.get(path, headers=officer)).json()
        assert (seen["employees"], seen["source"]) == (95, "self_declared")

    async def test_an_enterprise_cannot_file_for_another_enterprise(
        self, client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
    ) -> None:
        register = await _populate(client, officer)
        refused = await client.put(
            f"{URL}/enterprises/{register.other}/facts/2025",
            headers=bearer("enterprise", uscc=register.own),
            json={"employees": 1},
        )
        assert refused.status_code == 404 and refused.json()["code"] == "enterprise_not_found"
        absent = await client.get(f"{URL}/enterprises/{register.other}/facts/2025", headers=officer)
        assert absent.status_code == 404 and absent.json()["code"] == "facts_not_found"

    @pytest.mark.parametrize("source", ["tax", "audited", "statistics", "import"])
    async def test_an_enterprise_cannot_pass_its_figures_off_as_another_source(
        self,
        client: httpx.AsyncClient,
        officer: dict[str, str],
        bearer: TokenFactory,
        source: str,
    ) -> None:
        register = await _populate(client, officer)
        path = f"{URL}/enterprises/{register.own}/facts/2025"
        refused = await client.put(
            path,
            headers=bearer("enterprise", uscc=register.own),
            json={"source": source, "employees": 90},
        )
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "facts_source_not_self_declared"
        assert refused.json()["field"] == "source"
        assert (await client.get(path, headers=officer)).status_code == 404

    async def test_an_enterprise_cannot_overwrite_facts_another_source_filed(
        self, client: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
    ) -> None:
        register = await _populate(client, officer)
        path = f"{URL}/enterprises/{register.own}/facts/2024"  # filed from "tax"
        refused = await client.put(
            path,
            headers={**bearer("enterprise", uscc=register.own), "If-Match": '"1"'},
            json={"employees": 10},
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "facts_filed_by_another_source"
        kept = (await client.get(path, headers=officer)).json()
        assert (kept["employees"], kept["source"], kept["version"]) == (80, "tax", 1)
