"""``python -m sme_certification re-evaluate`` end to end, on a database of its own (the command
commits; the API tests' databases roll back)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import psycopg
import pytest

from sme_certification.app import DEFINITION, create_app
from sme_common.db.engine import to_sync_url
from sme_common.ids import make_uscc
from sme_common.runtime import service_cli
from sme_common.testing.plugin import DatabaseFactory

WAN = 1_000_000


@pytest.fixture(scope="module")
def cli_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("certification_cli", "sme_certification")


def seed_holder(url: str, body: str, region: str) -> str:
    uscc = make_uscc(region=region, body=body)
    facts = json.dumps(
        {
            "operating_revenue_fen": 3000 * WAN,
            "main_business_revenue_fen": 2700 * WAN,
            "rd_expense_fen": 150 * WAN,
            "total_assets_fen": 6000 * WAN,
            "total_liabilities_fen": 3000 * WAN,
            "niche_market_years": 5,
        }
    )
    with psycopg.connect(to_sync_url(url)) as conn:
        conn.execute(
            "INSERT INTO enterprise_directory (uscc, name, region_code, reporting_unit_code, "
            "operating_status, registry_version, registered_at) "
            "VALUES (%s, %s, %s, %s, 'operating', 1, now())",
            (uscc, f"企业{body}", region, region[:4] + "00"),
        )
        conn.execute(
            "INSERT INTO certificate (id, number, uscc, tier, level, issued_on, expires_on, "
            "status, verification_code, classified, origin, version, recorded_at, recorded_by) "
            "VALUES (%s, %s, %s, 'specialised', 'provincial', %s, %s, 'valid', %s, false, "
            "'recorded', 1, now(), 'test')",
            (f"cert_{body}", f"N-{body}", uscc, date(2025, 1, 2), date(2028, 1, 1), f"V{body}"),
        )
        for year in (2024, 2025):
            conn.execute(
                "INSERT INTO registry_year_facts (uscc, year, facts, ratios, registry_version, "
                "filed_at) VALUES (%s, %s, %s, '{}', 1, now())",
                (uscc, year, facts),
            )
    return uscc


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sme_certification", "re-evaluate", *args],
        env={"SME_CERTIFICATION_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_command_stores_a_run_and_refuses_the_same_run_twice(cli_database_url: str) -> None:
    gansu = seed_holder(cli_database_url, "CL000001", "620102")
    seed_holder(cli_database_url, "CL000002", "520102")
    common = ("--rule-set", "national-2026-2", "--tier", "specialised", "--as-of", "2026-06-10")
    first = run_cli(cli_database_url, *common, "--region", "62", "--workers", "0")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["enterprises"] == 1, "only Gansu's holder (--region 62)"
    assert (report["rule_set_version"], report["attempt"]) == ("1", 1)
    with psycopg.connect(to_sync_url(cli_database_url)) as conn:
        stored = conn.execute(
            "SELECT uscc, rule_set_version, fingerprint, explanation->>'outcome', outcome "
            "FROM evaluation_result WHERE run_id = %s",
            (report["run_id"],),
        ).fetchall()
        run = conn.execute(
            "SELECT status, enterprises, requested_by FROM evaluation_run WHERE id = %s",
            (report["run_id"],),
        ).fetchone()
        audited = conn.execute(
            "SELECT count(*) FROM audit_record WHERE resource_type = 'evaluation_run' "
            "AND resource_id = %s",
            (report["run_id"],),
        ).fetchone()
    assert [(row[0], row[1], row[2]) for row in stored] == [(gansu, "1", report["fingerprint"])]
    assert stored[0][3] == stored[0][4]
    assert run == ("finished", 1, "cli")
    assert audited is not None and audited[0] >= 2, "the run's insert and its finishing update"
    again = run_cli(cli_database_url, *common, "--region", "62", "--workers", "0")
    assert again.returncode == 1
    assert json.loads(again.stdout)["error"] == "evaluation_run_exists"
    forced = run_cli(cli_database_url, *common, "--region", "62", "--workers", "1", "--again")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["attempt"] == 2


def test_the_shared_cli_hands_the_command_its_own_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as shown:
        service_cli(DEFINITION, create_app, ["re-evaluate", "--help"])
    assert shown.value.code == 0
    usage = capsys.readouterr().out
    assert "--rule-set" in usage and "--workers" in usage
    with pytest.raises(SystemExit) as refused:
        service_cli(DEFINITION, create_app, ["re-evaluate", "--rule-set", "x", "--tier", "nope"])
    assert refused.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err
