"""Bulk import as a job (progress, per-row errors, idempotent re-runs) and streamed export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import xlsxwriter
from python_calamine import CalamineWorkbook

from services.registry.tests.bulk_support import HEADER, URL, run_import, scalar, to_csv
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

A, B, C = (make_uscc(region="620102", body=f"MP00000{n}") for n in range(1, 4))
GOOD_ROWS: list[list[object]] = [
    [A, "兰州甲公司", "620102", "C3411", "2012-05-01", 2024, 80, "25000000.00", "30000000", 10],
    [A, "兰州甲公司", "620102", "C3411", "2012-05-01", 2025, 90, "31000000.50", "32000000", 12],
    [B, "兰州乙公司", "620102", "I6510", "2018-01-01", 2025, 30, "4000000", "5000000", 8],
    [C, '=HYPERLINK("http://x")', "620102", "", "", "", "", "", "", ""],
]
BAD_ROWS: list[list[object]] = [
    [A[:-1] + ("0" if A[-1] != "0" else "1"), "坏码", "620102", "", "", "", "", "", "", ""],
    [make_uscc(body="MP000009"), "坏年份", "620102", "C", "2012-01-01", 2025, "很多", "", "", ""],
    [make_uscc(body="MP000010"), "研发超员", "620102", "C", "2012-01-01", 2025, 5, "1", "1", 9],
    [make_uscc(body="MP000011"), "金额过细", "620102", "C", "2012-01-01", 2025, 5, "1.005", "1", 1],
]


async def test_import_reports_progress_and_every_bad_row(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    job = await run_import(bulk, officer, to_csv(GOOD_ROWS + BAD_ROWS))
    assert job["status"] == "completed_with_errors"
    assert (job["total_rows"], job["processed_rows"]) == (8, 8)
    assert (job["created_rows"], job["updated_rows"], job["error_rows"]) == (3, 0, 4)
    report = (await bulk.get(f"{URL}/imports/{job['id']}/errors", headers=officer)).text
    lines = list(csv.DictReader(io.StringIO(report.lstrip("\ufeff"))))
    assert [(r["row_number"], r["field"], r["code"]) for r in lines] == [
        ("6", "uscc", "uscc_invalid"),
        ("7", "employees", "integer_invalid"),
        ("8", "rd_staff", "rd_staff_exceeds_employees"),
        ("9", "operating_revenue_yuan", "amount_invalid"),
    ]
    assert all(r["detail_zh"] for r in lines)

    a = (await bulk.get(f"{URL}/enterprises/{A}/facts", headers=officer)).json()["items"]
    assert [(f["year"], f["operating_revenue_fen"]) for f in a] == [
        (2024, 2_500_000_000),
        (2025, 3_100_000_050),
    ]
    assert a[1]["ratios"]["revenue_growth_ratio"] == "0.2400"
    enterprise = (await bulk.get(f"{URL}/enterprises/{A}", headers=officer)).json()
    assert (enterprise["size_class"], enterprise["size_class_year"]) == ("small", 2025)
    events = await scalar(bulk, "SELECT count(*) FROM outbox_message")
    # 3 registered + 3 facts filed + 2 size classes decided (C has no facts or industry).
    assert events == 8


async def test_importing_the_same_file_again_changes_nothing(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    content = to_csv(GOOD_ROWS)
    first = await run_import(bulk, officer, content)
    assert first["status"] == "completed"
    before = [
        await scalar(bulk, f"SELECT count(*) FROM {t}")
        for t in ("outbox_message", "enterprise_revision", "enterprise_facts_revision")
    ]
    again = await run_import(bulk, officer, content)
    assert (again["created_rows"], again["updated_rows"], again["unchanged_rows"]) == (0, 0, 3)
    after = [
        await scalar(bulk, f"SELECT count(*) FROM {t}")
        for t in ("outbox_message", "enterprise_revision", "enterprise_facts_revision")
    ]
    assert after == before
    assert await scalar(bulk, "SELECT max(version) FROM enterprise") == 1


async def test_a_changed_row_updates_keeps_the_former_name_and_announces_it(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    await run_import(bulk, officer, to_csv(GOOD_ROWS))
    changed = [list(r) for r in GOOD_ROWS]
    changed[2][1] = "兰州乙科技股份有限公司"
    job = await run_import(bulk, officer, to_csv(changed))
    assert (job["updated_rows"], job["unchanged_rows"]) == (1, 2)
    b = (await bulk.get(f"{URL}/enterprises/{B}", headers=officer)).json()
    assert b["version"] == 2 and b["former_names"][0]["name"] == "兰州乙公司"
    assert (
        await scalar(
            bulk,
            "SELECT count(*) FROM outbox_message WHERE event_type = "
            "'registry.enterprise.updated.v1'",
        )
        == 1
    )


async def test_rows_outside_the_importers_region_are_refused_row_by_row(
    bulk: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    county = bearer("county_officer", region="620103", subject="county-importer")
    job = await run_import(bulk, county, to_csv(GOOD_ROWS))
    assert job["error_rows"] == 4 and job["created_rows"] == 0


async def test_xlsx_import_from_the_template(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    template = await bulk.get(f"{URL}/imports/template", params={"format": "xlsx"}, headers=officer)
    assert template.status_code == 200
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["统一社会信用代码"])  # the template's title line is skipped
    for n, row in enumerate(GOOD_ROWS, start=2):
        sheet.write_row(n, 0, row)
    workbook.close()
    job = await run_import(bulk, officer, buffer.getvalue(), name="enterprises.xlsx")
    assert job["status"] == "completed", job
    assert job["created_rows"] == 3


async def test_unreadable_files_fail_the_job_or_the_request(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    wrong_type = await bulk.post(
        f"{URL}/imports", headers=officer, files={"file": ("list.txt", b"hello")}
    )
    assert wrong_type.status_code == 422 and wrong_type.json()["code"] == "file_format_unsupported"
    job = await run_import(bulk, officer, to_csv([["x"]], header=["colour"]))
    assert job["status"] == "failed" and "uscc" in str(job["failure"])


async def test_export_streams_the_search_neutralises_formulas_and_round_trips(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    await run_import(bulk, officer, to_csv(GOOD_ROWS))
    exported = await bulk.get(f"{URL}/exports/enterprises", headers=officer)
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [r["uscc"] for r in rows] == sorted([A, B, C])
    by_uscc = {r["uscc"]: r for r in rows}
    assert by_uscc[C]["name"] == '\'=HYPERLINK("http://x")'
    assert by_uscc[A]["operating_revenue_yuan"] == "31000000.50"

    software = await bulk.get(
        f"{URL}/exports/enterprises", params={"industry": "I65"}, headers=officer
    )
    assert [r["uscc"] for r in csv.DictReader(io.StringIO(software.text.lstrip("\ufeff")))] == [B]

    xlsx = await bulk.get(f"{URL}/exports/enterprises", params={"format": "xlsx"}, headers=officer)
    path = Path(str(bulk.app.state.settings.import_dir)) / "export.xlsx"  # type: ignore[attr-defined]
    path.write_bytes(xlsx.content)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(sheet) == 4 and sheet[0][0] == "uscc"

    # The export of names without formulas imports back unchanged.
    plain = [r for r in rows if r["uscc"] != C]
    header = list(rows[0].keys())
    again = await run_import(bulk, officer, to_csv([[r[h] for h in header] for r in plain], header))
    assert (again["unchanged_rows"], again["error_rows"]) == (2, 0), again


async def test_import_needs_a_writer(bulk: httpx.AsyncClient, bearer: TokenFactory) -> None:
    reader_only = bearer("agency_system", region="620000", scopes=("registry:read",))
    response = await bulk.post(
        f"{URL}/imports", headers=reader_only, files={"file": ("a.csv", to_csv(GOOD_ROWS))}
    )
    assert response.status_code == 403
    assert (await bulk.post(f"{URL}/imports", files={"file": ("a.csv", b"")})).status_code == 401
