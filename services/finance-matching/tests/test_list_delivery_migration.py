"""Migration 0013 on a database that already holds changes, institutions and cursors: every
change is rendered and every institution's pending changes are queued, as the pulls before it
would have sent them (in scope now, or an enterprise it was given)."""

from __future__ import annotations

import json

import psycopg

from sme_common.db.engine import to_sync_url
from sme_common.db.migrations import upgrade
from sme_common.ids import make_uscc
from sme_common.testing.plugin import DatabaseFactory

PACKAGE = "sme_finance_matching"
LANZHOU = make_uscc(region="620102", body="MG000001")
JIAYUGUAN = make_uscc(region="620202", body="MG000002")


def test_the_migration_renders_the_changes_and_queues_what_is_pending(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("delivery_migration")
    upgrade(PACKAGE, url, "0012")
    with psycopg.connect(to_sync_url(url), autocommit=True) as conn:
        for uscc, unit in ((LANZHOU, "620100"), (JIAYUGUAN, "620200")):
            conn.execute(
                "INSERT INTO enterprise_directory (uscc, name, region_code, reporting_unit_code,"
                " operating_status, registry_version, registered_at)"
                " VALUES (%s, %s, %s, %s, 'operating', 1, now())",
                (uscc, f"企业{uscc[-3:]}", unit[:4] + "02", unit),
            )
        for seq, (uscc, kind) in enumerate(
            ((LANZHOU, "added"), (JIAYUGUAN, "added"), (LANZHOU, "revoked")), start=1
        ):
            conn.execute(
                "INSERT INTO certified_change (seq, uscc, kind, certificate_id, tier, level,"
                " issued_on, expires_on, status, changed_at) VALUES (%s, %s, %s, 'cert_1',"
                " 'specialised', 'provincial', '2026-01-10', '2029-01-09', %s,"
                " '2026-11-26T02:00:00.25Z')",
                (seq, uscc, kind, "revoked" if kind == "revoked" else "valid"),
            )
        for n, (institution_id, regions) in enumerate(
            (("inst_lanzhou", ["620100"]), ("inst_other", ["620200"]))
        ):
            conn.execute(
                "INSERT INTO institution VALUES (%s, 'bank', %s, %s, '620000', %s,"
                " '{specialised}', 'active', 1, now(), 'm', now(), 'm')",
                (
                    institution_id,
                    institution_id,
                    make_uscc(region="620100", body=f"MGBANK0{n}"),
                    regions,
                ),
            )
        # 兰州's bank acknowledged the first change; the other bank was given 兰州's enterprise.
        conn.execute("INSERT INTO list_cursor VALUES ('inst_lanzhou', 1, now(), 'm')")
        conn.execute("INSERT INTO list_recipient VALUES ('inst_other', %s, now())", (LANZHOU,))

    upgrade(PACKAGE, url)

    with psycopg.connect(to_sync_url(url), autocommit=True) as conn:
        queued = conn.execute(
            "SELECT institution_id, seq, in_scope FROM list_delivery ORDER BY 1, 2"
        ).fetchall()
        bodies = dict(conn.execute("SELECT seq, body FROM list_change").fetchall())
        given = conn.execute(
            "SELECT institution_id, uscc FROM list_recipient ORDER BY 1, 2"
        ).fetchall()
    assert queued == [
        ("inst_lanzhou", 3, True),  # after its cursor: the revocation
        ("inst_other", 1, False),  # given, out of its scope
        ("inst_other", 2, True),
        ("inst_other", 3, False),
    ]
    assert sorted(given) == sorted([("inst_other", LANZHOU), ("inst_other", JIAYUGUAN)])
    first = json.loads(bodies[1] + "true}")
    assert first == {
        "position": 1,
        "kind": "added",
        "uscc": LANZHOU,
        "name": f"企业{LANZHOU[-3:]}",
        "certificate_id": "cert_1",
        "tier": "specialised",
        "previous_tier": None,
        "level": "provincial",
        "issued_on": "2026-01-10",
        "expires_on": "2029-01-09",
        "status": "valid",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": None,
        "changed_at": "2026-11-26T02:00:00.250000Z",
        "in_scope": True,
    }
