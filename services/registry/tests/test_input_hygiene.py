"""What callers send is cleaned, normalised or refused, never a 500: text without control or format
characters and stored in NFC, codes in half-width upper case, names searched on their NFKC fold,
cursors and dates we cannot answer refused with a code."""

from __future__ import annotations

import base64
import json
import unicodedata

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.registry.tests.support import register_enterprise
from sme_common.db.engine import to_sync_url
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_common.text import fold

URL = "/api/registry/v1"


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


async def names_found(client: httpx.AsyncClient, headers: dict[str, str], q: str) -> list[str]:
    response = await client.get(f"{URL}/enterprises", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(e["name"] for e in response.json()["items"])


class TestText:
    @pytest.mark.parametrize(
        ("name", "code"),
        [
            ("兰州\u200b示例", "text_format_character"),
            ("兰州\u202e示例", "text_format_character"),
            ("兰州\ufeff示例", "text_format_character"),
            ("兰州\r\n示例", "text_control_character"),
            ("兰州\t示例", "text_control_character"),
        ],
    )
    async def test_names_with_control_or_format_characters_are_refused(
        self, client: httpx.AsyncClient, officer: dict[str, str], name: str, code: str
    ) -> None:
        response = await client.post(
            f"{URL}/enterprises",
            headers=officer,
            json={"uscc": make_uscc(body="MT000001"), "name": name, "region_code": "620102"},
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["field"] == "name"
        assert problem["errors"][0]["code"] == code

    async def test_a_nul_in_a_name_is_refused_by_the_platform_guard(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        """A NUL never reaches the model: every service refuses it in any JSON string first."""
        response = await client.post(
            f"{URL}/enterprises",
            headers=officer,
            json={
                "uscc": make_uscc(body="MT000001"),
                "name": "兰州\x00示例",
                "region_code": "620102",
            },
        )
        assert response.status_code == 422, response.text
        assert (response.json()["code"], response.json()["field"]) == ("text_nul_character", "name")

    async def test_every_free_text_field_refuses_invisible_characters(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MT000002", "文本企业")
        bad = "隐藏\u200b文字"
        attempts = [
            ("PATCH", f"/enterprises/{uscc}", {"version": 1, "legal_representative": bad}),
            ("PUT", f"/enterprises/{uscc}/facts/2025", {"leading_product": bad}),
            ("PUT", f"/enterprises/{uscc}/facts/2025", {"quality_certifications": [bad]}),
            (
                "POST",
                f"/enterprises/{uscc}/flags",
                {"kind": "major_accident", "source": bad, "started_on": "2026-01-01"},
            ),
            (
                "POST",
                f"/enterprises/{uscc}/pool-moves",
                {"action": "enter", "pool": "innovative", "on": "2026-01-01", "reason": bad},
            ),
            (
                "POST",
                "/people",
                {"name": bad, "role": "financial_adviser", "region_code": "620102"},
            ),
        ]
        for method, path, body in attempts:
            response = await client.request(method, URL + path, json=body, headers=officer)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["errors"][0]["code"] == "text_format_character", path

    async def test_names_are_stored_as_written_in_nfc(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        decomposed = "兰州示例（集团）Cafe\u0301"
        uscc = await register_enterprise(client, officer, "MT000003", f"  {decomposed} ")
        stored = (await client.get(f"{URL}/enterprises/{uscc}", headers=officer)).json()["name"]
        assert stored == unicodedata.normalize("NFC", decomposed) == "兰州示例（集团）Café"

    async def test_search_finds_names_on_their_fold(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        await register_enterprise(client, officer, "MT000004", "兰州示例（集团）有限公司")
        await register_enterprise(client, officer, "MT000005", "兰州示例(集团)科技有限公司")
        await register_enterprise(client, officer, "MT000006", "ＬＡＮＺＨＯＵ Ｄｅｍｏ 公司")
        both = ["兰州示例(集团)科技有限公司", "兰州示例（集团）有限公司"]
        assert await names_found(client, officer, "兰州示例") == both
        assert await names_found(client, officer, "兰州示例（集团）") == both
        assert await names_found(client, officer, "兰州示例(集团)") == both
        assert await names_found(client, officer, "示例") == both
        assert await names_found(client, officer, "lanzhou demo") == [
            "ＬＡＮＺＨＯＵ Ｄｅｍｏ 公司"
        ]

    async def test_names_stored_before_the_rule_are_found_despite_invisible_characters(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        from sqlalchemy import text

        uscc = await register_enterprise(client, officer, "MT000007", "兰州示例旧名")
        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            await session.execute(
                text("UPDATE enterprise SET name = :n WHERE uscc = :u"),
                {"n": "兰州\u200b示例旧名", "u": uscc},
            )
            await session.commit()
        assert await names_found(client, officer, "兰州示例旧") == ["兰州\u200b示例旧名"]

    @pytest.mark.parametrize("q", ["兰州\x00示例", "兰州\u200b示例", " a "])
    async def test_unusable_name_fragments_are_refused(
        self, client: httpx.AsyncClient, officer: dict[str, str], q: str
    ) -> None:
        response = await client.get(f"{URL}/enterprises", params={"q": q}, headers=officer)
        assert response.status_code == 422, response.text

    async def test_the_folded_name_search_can_use_its_indexes(
        self, client: httpx.AsyncClient
    ) -> None:
        from sqlalchemy import text

        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plans = [
                "\n".join(
                    (
                        await session.execute(
                            text(
                                "EXPLAIN SELECT uscc FROM enterprise WHERE name_folded LIKE :p"
                                + extra
                            ),
                            {"p": pattern, "q": ["示例"]},
                        )
                    ).scalars()
                )
                for pattern, extra in (
                    ("%兰州示例%", ""),
                    ("%示例%", " AND sme_bigrams(name_folded) @> CAST(:q AS text[])"),
                )
            ]
        assert "ix_enterprise_name_folded_trgm" in plans[0]
        assert "ix_enterprise_name_folded_bigrams" in plans[1]


TEXT = st.text(
    alphabet=st.sampled_from(
        list("兰州示例集团有限公司甘肃天水科技")
        + list("（）()【】［］ 　\u00a0·-_.,，。")
        + list("ABCxyz019ＡＢＣｘｙｚ０１９ßÉéＩİı")
    ),
    max_size=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=TEXT)
def test_the_sql_fold_is_the_twin_of_the_python_fold(
    registry_database_url: str, value: str
) -> None:
    with psycopg.connect(to_sync_url(registry_database_url)) as conn:
        row = conn.execute("SELECT sme_fold(%s)", (value,)).fetchone()
    assert row is not None and row[0] == fold(value)


class TestCodes:
    async def test_codes_are_stored_upper_case_and_half_width(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = make_uscc(region="620102", body="MT000010")
        wide = (
            unicodedata.normalize("NFKC", uscc)
            .lower()
            .translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        )
        response = await client.post(
            f"{URL}/enterprises",
            headers=officer,
            json={
                "uscc": wide,
                "name": "编码企业",
                "region_code": "６２０１０２",
                "industry_code": "c3411",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["uscc"], body["region_code"], body["industry_code"]) == (
            uscc,
            "620102",
            "C3411",
        )

    async def test_search_filters_read_codes_in_any_width_and_case(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        await register_enterprise(client, officer, "MT000012", "筛选企业", industry_code="C3411")
        response = await client.get(
            f"{URL}/enterprises",
            params={"region_code": "６２０１０２", "industry": "c34", "q": "筛选"},
            headers=officer,
        )
        assert response.status_code == 200, response.text
        assert [e["name"] for e in response.json()["items"]] == ["筛选企业"]

    async def test_a_lowercase_uscc_reads_the_enterprise_post_accepted(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = make_uscc(region="620102", body="MT000011")
        created = await client.post(
            f"{URL}/enterprises",
            headers=officer,
            json={"uscc": uscc.lower(), "name": "小写企业", "region_code": "620102"},
        )
        assert created.status_code == 201, created.text
        for path in ("", "/history", "/facts", "/flags", "/pools", "/people", "/profile"):
            response = await client.get(f"{URL}/enterprises/{uscc.lower()}{path}", headers=officer)
            assert response.status_code == 200, (path, response.text)
        assert (await client.get(f"{URL}/enterprises/{uscc.lower()}", headers=officer)).json()[
            "uscc"
        ] == uscc


class TestNoServerErrors:
    @pytest.mark.parametrize(
        "payload",
        [
            {"x": 1},
            {"u": 5},
            {"u": "' OR 1=1 --"},
            {"u": None},
            [1],
            "text",
        ],
    )
    async def test_search_cursors_we_did_not_issue_are_refused(
        self, client: httpx.AsyncClient, officer: dict[str, str], payload: object
    ) -> None:
        cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        response = await client.get(
            f"{URL}/enterprises", params={"cursor": cursor}, headers=officer
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "cursor_invalid"

    @pytest.mark.parametrize("cursor", ["garbage!!", "%%%", "é", "\x00", "eyJ1Ijo"])
    async def test_garbage_cursors_are_refused(
        self, client: httpx.AsyncClient, officer: dict[str, str], cursor: str
    ) -> None:
        response = await client.get(
            f"{URL}/enterprises", params={"cursor": cursor}, headers=officer
        )
        assert response.status_code == 422, response.text

    async def test_a_cursor_we_issued_still_pages(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        for n in range(3):
            await register_enterprise(client, officer, f"MT00002{n}", f"分页企业{n}")
        first = (
            await client.get(f"{URL}/enterprises", params={"limit": 2}, headers=officer)
        ).json()
        rest = await client.get(
            f"{URL}/enterprises", params={"cursor": first["next_cursor"]}, headers=officer
        )
        assert rest.status_code == 200 and len(rest.json()["items"]) == 1

    async def test_as_of_and_on_after_today_are_refused_with_a_code(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register_enterprise(client, officer, "MT000030", "时点企业")
        for day in ("9999-12-31", "3000-01-01"):
            as_of = await client.get(
                f"{URL}/enterprises/{uscc}", params={"as_of": day}, headers=officer
            )
            assert as_of.status_code == 422 and as_of.json()["code"] == "as_of_in_future"
            on = await client.get(
                f"{URL}/enterprises/{uscc}/size-class", params={"on": day}, headers=officer
            )
            assert on.status_code == 422 and on.json()["code"] == "on_in_future"
        early = await client.get(
            f"{URL}/enterprises/{uscc}", params={"as_of": "0001-01-01"}, headers=officer
        )
        assert early.status_code == 404
        assert early.json()["code"] == "enterprise_not_registered_then"

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/enterprises/{uscc}/flags/flag%00x/history", None),
            ("PATCH", "/enterprises/{uscc}/flags/flag%00x", {"version": 1, "note": "x"}),
            (
                "POST",
                "/people/person%00x/assignments",
                {"uscc": "{uscc}", "assigned_on": "2026-01-01"},
            ),
            ("POST", "/people/person_x/assignments/assign%00x/end", {"ended_on": "2026-01-01"}),
            ("GET", "/enterprises/9162%000000000000000", None),
        ],
    )
    async def test_a_nul_byte_in_a_path_is_refused(
        self,
        client: httpx.AsyncClient,
        officer: dict[str, str],
        method: str,
        path: str,
        body: dict[str, object] | None,
    ) -> None:
        uscc = await register_enterprise(client, officer, "MT000040", "路径企业")
        if body is not None:
            body = {k: uscc if v == "{uscc}" else v for k, v in body.items()}
        response = await client.request(
            method, URL + path.replace("{uscc}", uscc), json=body, headers=officer
        )
        assert response.status_code == 422, response.text
