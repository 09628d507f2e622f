"""An unchanged export imports back without changing anything (CSV, XLSX, and XLSX saved again by
LibreOffice), and the export takes exactly the search's filters."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from python_calamine import CalamineWorkbook

from services.registry.tests.bulk_support import URL, run_import, scalar, to_csv
from sme_common.ids import make_uscc

COLUMNS = [
    "uscc",
    "name",
    "legal_representative",
    "region_code",
    "industry_code",
    "founded_on",
    "operating_status",
    "year",
    "employees",
    "operating_revenue_yuan",
    "total_assets_yuan",
    "net_profit_yuan",
]
A, B, C = (make_uscc(region="620102", body=f"RT00000{n}") for n in range(1, 4))
ROWS: list[list[object]] = [
    [
        A,
        "=1+1",
        "@张三",
        "620102",
        "C3411",
        "2012-05-01",
        "",
        2024,
        80,
        "25000000.00",
        "30000000",
        "-5000.00",
    ],
    [
        B,
        "-兰州乙公司",
        "+李四",
        "620102",
        "I6510",
        "",
        "suspended",
        2024,
        30,
        "4000000.07",
        "5000000",
        "12.5",
    ],
    [C, "兰州示例（集团）", "", "620102", "", "", "", "", "", "", "", ""],
]
TABLES = ("outbox_message", "enterprise_revision", "enterprise_facts_revision", "enterprise_facts")


async def register_state(client: httpx.AsyncClient) -> list[Any]:
    counts = [await scalar(client, f"SELECT count(*) FROM {t}") for t in TABLES]
    versions = await scalar(
        client, "SELECT string_agg(uscc || ':' || version, ',' ORDER BY uscc) FROM enterprise"
    )
    return [*counts, versions]


async def imported(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    job = await run_import(client, headers, to_csv(ROWS, COLUMNS))
    assert (job["status"], job["created_rows"]) == ("completed", 3), job
    return await register_state(client)


async def assert_changes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str, before: list[Any]
) -> None:
    job = await run_import(client, headers, content, name=name)
    assert (job["status"], job["unchanged_rows"], job["updated_rows"], job["error_rows"]) == (
        "completed",
        3,
        0,
        0,
    ), job
    assert await register_state(client) == before
    names = await scalar(client, "SELECT string_agg(name, '|' ORDER BY uscc) FROM enterprise")
    assert names == "=1+1|-兰州乙公司|兰州示例（集团）"


async def test_a_csv_export_writes_numbers_as_numbers_and_imports_back_unchanged(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    before = await imported(bulk, officer)
    exported = await bulk.get(f"{URL}/exports/enterprises", headers=officer)
    rows = {r["uscc"]: r for r in csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))}
    assert rows[A]["net_profit_yuan"] == "-5000.00"
    assert rows[B]["operating_revenue_yuan"] == "4000000.07"
    assert (rows[A]["name"], rows[A]["legal_representative"]) == ("'=1+1", "'@张三")
    assert rows[B]["name"] == "'-兰州乙公司"
    await assert_changes_nothing(bulk, officer, exported.content, "enterprises.csv", before)


async def xlsx_export(client: httpx.AsyncClient, headers: dict[str, str], path: Path) -> Path:
    exported = await client.get(
        f"{URL}/exports/enterprises", params={"format": "xlsx"}, headers=headers
    )
    assert exported.status_code == 200
    await asyncio.to_thread(path.write_bytes, exported.content)
    return path


async def test_an_xlsx_export_has_typed_cells_and_imports_back_unchanged(
    bulk: httpx.AsyncClient, officer: dict[str, str], tmp_path: Path
) -> None:
    before = await imported(bulk, officer)
    path = await xlsx_export(bulk, officer, tmp_path / "export.xlsx")
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    header = sheet[0]
    first = dict(zip(header, sheet[1], strict=False))
    assert first["uscc"] == A
    assert first["net_profit_yuan"] == -5000.0 and first["name"] == "=1+1"
    await assert_changes_nothing(bulk, officer, path.read_bytes(), "enterprises.xlsx", before)


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
async def test_an_xlsx_export_saved_again_by_libreoffice_imports_back_unchanged(
    bulk: httpx.AsyncClient, officer: dict[str, str], tmp_path: Path
) -> None:
    before = await imported(bulk, officer)
    path = await xlsx_export(bulk, officer, tmp_path / "export.xlsx")
    resaved = tmp_path / "resaved"
    await asyncio.to_thread(
        subprocess.run,
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(resaved),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    content = (resaved / "export.xlsx").read_bytes()
    assert content != path.read_bytes()
    await assert_changes_nothing(bulk, officer, content, "enterprises.xlsx", before)


SEARCH_ONLY = {"limit", "cursor"}
EXPORT_ONLY = {"format"}


async def test_the_export_takes_exactly_the_searchs_filters(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    spec = (await bulk.get("/api/registry/openapi.json")).json()

    def parameters(path: str) -> dict[str, Any]:
        return {
            p["name"]: p["schema"]
            for p in spec["paths"][path]["get"]["parameters"]
            if p["in"] == "query"
        }

    search, export = parameters(f"{URL}/enterprises"), parameters(f"{URL}/exports/enterprises")
    assert {k: v for k, v in search.items() if k not in SEARCH_ONLY} == {
        k: v for k, v in export.items() if k not in EXPORT_ONLY
    }
    assert {"pool", "flag", "operating_status", "updated_since"} <= export.keys()

    await imported(bulk, officer)
    for params in (
        {"operating_status": "suspended"},
        {"pool": "innovative"},
        {"flag": "any"},
        {"updated_since": "2000-01-01T00:00:00Z"},
        {"updated_since": "2999-01-01T00:00:00Z"},
        {"q": "兰州"},
    ):
        found = await bulk.get(f"{URL}/enterprises", params=params, headers=officer)
        exported = await bulk.get(f"{URL}/exports/enterprises", params=params, headers=officer)
        assert exported.status_code == 200, (params, exported.text)
        rows = csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff")))
        assert [r["uscc"] for r in rows] == [e["uscc"] for e in found.json()["items"]], params
    suspended = await bulk.get(
        f"{URL}/exports/enterprises", params={"operating_status": "suspended"}, headers=officer
    )
    assert [r["uscc"] for r in csv.DictReader(io.StringIO(suspended.text.lstrip("\ufeff")))] == [B]
    unknown = await bulk.get(
        f"{URL}/exports/enterprises", params={"colour": "red"}, headers=officer
    )
    assert unknown.status_code == 422
