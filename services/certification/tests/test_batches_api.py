"""Batches: the province sets them (tier, level, year, window, 市州 caps and minimums) and moves
them draft → open → closed; every officer reads them."""

from __future__ import annotations

import httpx
import pytest

from services.certification.tests.support import BATCH, LANZHOU, URL, make_batch
from sme_common.testing.plugin import TokenFactory


@pytest.fixture
def province(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


async def test_the_province_creates_a_batch_in_draft_with_caps_and_minimums(
    client: httpx.AsyncClient, province: dict[str, str]
) -> None:
    response = await client.post(
        f"{URL}/batches",
        headers=province,
        json={**BATCH, "city_caps": {LANZHOU: 40}, "city_minimums": {LANZHOU: 20}},
    )
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["status"] == "draft" and batch["version"] == 1
    assert batch["city_caps"] == {LANZHOU: 40} and batch["city_minimums"] == {LANZHOU: 20}
    read = await client.get(f"{URL}/batches/{batch['id']}", headers=province)
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("role", "region", "status"),
    [
        ("city_officer", "620100", 403),
        ("county_officer", "620102", 403),
        ("platform_admin", None, 403),
        ("agency_system", "620000", 403),
        ("province_officer", "520000", 403),  # Guizhou's officers do not set Gansu's batches
    ],
)
async def test_only_the_province_of_the_batch_creates_it(
    client: httpx.AsyncClient, bearer: TokenFactory, role: str, region: str | None, status: int
) -> None:
    headers = bearer(role, region=region, scopes=("certification:write",))
    response = await client.post(f"{URL}/batches", headers=headers, json=BATCH)
    assert response.status_code == status, response.text
    assert (await client.post(f"{URL}/batches", json=BATCH)).status_code == 401


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"closes_on": "2026-05-31"}, "window_closes_before_opening"),
        ({"city_caps": {"620502": 3}}, "reporting_unit_unknown"),  # a county, not a 市州
        ({"city_minimums": {"520100": 20}}, "reporting_unit_unknown"),  # Guizhou's 贵阳
        ({"province_code": "620100"}, "province_unknown"),
        ({"tier": "giant"}, "request_invalid"),
        ({"unknown": 1}, "request_invalid"),
        ({"city_caps": {LANZHOU: -1}}, "request_invalid"),
    ],
)
async def test_bad_batches_are_refused(
    client: httpx.AsyncClient, province: dict[str, str], change: dict[str, object], code: str
) -> None:
    response = await client.post(f"{URL}/batches", headers=province, json={**BATCH, **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if code != "request_invalid":
        assert response.json()["code"] == code
    listed = await client.get(f"{URL}/batches", headers=province)
    assert listed.json()["items"] == []


async def test_a_batch_moves_draft_open_closed_and_never_back(
    client: httpx.AsyncClient, province: dict[str, str]
) -> None:
    batch = await make_batch(client, province, status="draft")
    path = f"{URL}/batches/{batch['id']}"
    skipped = await client.patch(path, headers=province, json={"status": "closed", "version": 1})
    assert skipped.status_code == 422 and skipped.json()["code"] == "batch_transition_not_allowed"
    opened = await client.patch(
        path, headers={**province, "If-Match": '"1"'}, json={"status": "open"}
    )
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert opened.headers["ETag"] == '"2"'
    closed = await client.patch(path, headers=province, json={"status": "closed", "version": 2})
    assert closed.json()["status"] == "closed"
    reopened = await client.patch(path, headers=province, json={"status": "open", "version": 3})
    assert reopened.status_code == 422 and reopened.json()["code"] == "batch_transition_not_allowed"
    edited = await client.patch(path, headers=province, json={"title": "改", "version": 3})
    assert edited.status_code == 422 and edited.json()["code"] == "batch_closed"
    assert (await client.get(path, headers=province)).json()["version"] == 3


async def test_a_batch_change_needs_the_current_version(
    client: httpx.AsyncClient, province: dict[str, str]
) -> None:
    batch = await make_batch(client, province, status="draft")
    path = f"{URL}/batches/{batch['id']}"
    missing = await client.patch(path, headers=province, json={"title": "新标题"})
    assert missing.status_code == 409 and missing.json()["code"] == "version_required"
    stale = await client.patch(path, headers=province, json={"title": "新标题", "version": 7})
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    mismatch = await client.patch(
        path, headers={**province, "If-Match": '"1"'}, json={"title": "x", "version": 2}
    )
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "if_match_mismatch"
    unchanged = await client.get(path, headers=province)
    assert unchanged.json()["title"] == BATCH["title"] and unchanged.json()["version"] == 1


async def test_every_officer_reads_batches_and_filters_them(
    client: httpx.AsyncClient, province: dict[str, str], bearer: TokenFactory
) -> None:
    specialised = await make_batch(client, province)
    await make_batch(client, province, status="draft", tier="innovative")
    for headers in (
        bearer("county_officer", region="620102"),
        bearer("city_officer", region="620500"),
        bearer("agency_system", region="620000", scopes=("certification:read",)),
    ):
        listed = await client.get(f"{URL}/batches", headers=headers, params={"status": "open"})
        assert listed.status_code == 200, listed.text
        assert [b["id"] for b in listed.json()["items"]] == [specialised["id"]]
    no_scope = bearer("agency_system", region="620000")
    assert (await client.get(f"{URL}/batches", headers=no_scope)).status_code == 403
    absent = await client.get(f"{URL}/batches/batch_nothing", headers=province)
    assert absent.status_code == 404 and absent.json()["code"] == "batch_not_found"
