"""The delivery queue of the deltas (migration 0013) in the database itself: the migration on a
database that already holds changes, institutions and cursors (every change rendered, every
institution's pending changes queued as the pulls before it would have sent them), and its
triggers against concurrent writers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import psycopg
import pytest

from sme_common.auth.principal import Principal
from sme_common.db import Database
from sme_common.db.engine import to_sync_url
from sme_common.db.migrations import upgrade
from sme_common.errors import DomainError
from sme_common.ids import make_uscc
from sme_common.testing.plugin import DatabaseFactory
from sme_finance_matching.institutions import service as institutions
from sme_finance_matching.institutions.domain import Tier
from sme_finance_matching.institutions.schemas import InstitutionUpdate
from sme_finance_matching.lists import service as lists
from sme_finance_matching.lists.domain import in_scope
from sme_finance_matching.lists.schemas import DeltaQuery

PACKAGE = "sme_finance_matching"
CHANGE_LOCK = 0x5F4D_4345_5254  # certified.repository.CHANGE_LOCK
LANZHOU = make_uscc(region="620102", body="MG000001")
JIAYUGUAN = make_uscc(region="620202", body="MG000002")


def _place_both(conn: psycopg.Connection[Any]) -> None:
    """The two enterprises in the directory, each in its 市州 (兰州, 嘉峪关)."""
    for uscc, unit in ((LANZHOU, "620100"), (JIAYUGUAN, "620200")):
        conn.execute(
            "INSERT INTO enterprise_directory (uscc, name, region_code, reporting_unit_code,"
            " operating_status, registry_version, registered_at)"
            " VALUES (%s, %s, %s, %s, 'operating', 1, now())",
            (uscc, f"企业{uscc[-3:]}", unit[:4] + "02", unit),
        )


def test_the_migration_renders_the_changes_and_queues_what_is_pending(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("delivery_migration")
    upgrade(PACKAGE, url, "0012")
    with psycopg.connect(to_sync_url(url), autocommit=True) as conn:
        _place_both(conn)
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
        bodies: dict[int, str] = dict(conn.execute("SELECT seq, body FROM list_change").fetchall())
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


def test_a_change_recorded_while_an_officer_changes_the_institution_deadlocks_neither(
    database_factory: DatabaseFactory,
) -> None:
    """The officer's update locks the institution's row (``FOR UPDATE``) and its trigger then
    waits for the change log's lock; a change recorded meanwhile holds that lock and queues a
    delivery for the institution. A foreign key from the delivery to the institution would make
    that insert wait for the row lock: a deadlock, one of them aborted."""
    url = to_sync_url(database_factory.create("delivery_locks", PACKAGE))
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute(
            "INSERT INTO enterprise_directory (uscc, name, region_code, reporting_unit_code,"
            " operating_status, registry_version, registered_at)"
            " VALUES (%s, '企业', '620102', '620100', 'operating', 1, now())",
            (LANZHOU,),
        )
        setup.execute(
            "INSERT INTO institution VALUES ('inst_lanzhou', 'bank', '银行', %s, '620000',"
            " '{620100}', '{specialised}', 'active', 1, now(), 'm', now(), 'm')",
            (make_uscc(region="620100", body="MGBANK09"),),
        )
    errors: list[BaseException] = []

    def record_change() -> None:
        try:
            with psycopg.connect(url) as writer:
                writer.execute("SELECT pg_advisory_xact_lock(%s)", (CHANGE_LOCK,))
                writer.execute(
                    "INSERT INTO certified_change (seq, uscc, kind, certificate_id, tier, level,"
                    " issued_on, expires_on, status, changed_at) VALUES (1, %s, 'added',"
                    " 'cert_1', 'specialised', 'provincial', '2026-01-10', '2029-01-09', 'valid',"
                    " now())",
                    (LANZHOU,),
                )
                writer.commit()
        except BaseException as exc:
            errors.append(exc)

    with psycopg.connect(url) as officer:
        officer.execute("SELECT 1 FROM institution WHERE id = 'inst_lanzhou' FOR UPDATE")
        consumer = threading.Thread(target=record_change)
        consumer.start()
        with psycopg.connect(url, autocommit=True) as watcher:
            # The consumer holds the change log's lock: either it finished, or it waits on a
            # lock the officer holds. Then the officer's trigger asks for the change log's lock.
            while consumer.is_alive() and not watcher.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            ).fetchone() == (1,):
                time.sleep(0.01)
            while consumer.is_alive() and watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            ).fetchone() == (0,):
                time.sleep(0.01)
        officer.execute("UPDATE institution SET tiers = '{specialised,little_giant}'")
        officer.commit()
        consumer.join(timeout=30)
    assert errors == []
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT institution_id, seq FROM list_delivery").fetchall() == [
            ("inst_lanzhou", 1)
        ]


async def test_an_officer_changing_the_scope_waits_for_a_snapshot_being_made_not_a_deadlock(
    database_factory: DatabaseFactory,
) -> None:
    """A snapshot holds the change log's lock shared and then writes a row that references the
    institution; the officer's update of the scope must take the change log's lock before the
    institution's row (``update_institution``), or each would wait for the other."""
    url = database_factory.create("delivery_snapshot_lock", PACKAGE)
    sync_url = to_sync_url(url)
    with psycopg.connect(sync_url, autocommit=True) as setup:
        setup.execute(
            "INSERT INTO institution VALUES ('inst_lanzhou', 'bank', '银行', %s, '620000',"
            " '{620100}', '{specialised}', 'active', 1, now(), 'm', now(), 'm')",
            (make_uscc(region="620100", body="MGBANK08"),),
        )
    database = Database.from_url(url)
    officer = Principal(subject="officer:1", roles=frozenset({"province_officer"}), region="620000")
    with psycopg.connect(sync_url) as snapshot_maker:
        snapshot_maker.execute("SELECT pg_advisory_xact_lock_shared(%s)", (CHANGE_LOCK,))
        update = asyncio.create_task(
            institutions.update_institution(
                database,
                institution_id="inst_lanzhou",
                command=InstitutionUpdate(tiers=[Tier.SPECIALISED, Tier.LITTLE_GIANT], version=1),
                actor=officer,
            )
        )
        with psycopg.connect(sync_url, autocommit=True) as watcher:
            # Polling PostgreSQL, which sets no event: the update waits for the lock.
            while not update.done() and watcher.execute(  # noqa: ASYNC110
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone() == (0,):
                await asyncio.sleep(0.01)
        snapshot_maker.execute(
            "INSERT INTO list_snapshot (id, institution_id, trigger, requested_by, generated_at,"
            " cursor_position, entry_count, product_count, content_sha256, manifest, signature,"
            " key_id, products) VALUES ('snap_1', 'inst_lanzhou', 'on_demand', 'm', now(), 0, 0,"
            " 0, '', '{}', '', 'k', '[]')"
        )
        snapshot_maker.commit()
        read = await asyncio.wait_for(update, timeout=30)
    await database.dispose()
    assert read.tiers == [Tier.LITTLE_GIANT, Tier.SPECIALISED] and read.version == 2


def test_the_sql_scope_rule_is_the_domain_rule(database_factory: DatabaseFactory) -> None:
    """``list_in_scope`` (the triggers' form of ``lists.domain.in_scope``) answers as the domain
    rule on every combination of province, 市州, tier and an enterprise's place."""
    cases = [
        (province, regions, tiers, unit, tier)
        for province in ("620000", "630000")
        for regions in (["620000"], ["620100"], ["620100", "620200"], ["630100"])
        for tiers in (["specialised"], ["innovative", "little_giant"], [])
        for unit in ("620100", "620200", "630100")
        for tier in ("innovative", "specialised", "little_giant")
    ]
    url = to_sync_url(database_factory.create("scope_rule", PACKAGE))
    with psycopg.connect(url, autocommit=True) as conn:
        answers = [
            conn.execute(
                "SELECT list_in_scope(%s, %s::text[], %s::text[], %s, %s)", case
            ).fetchone()
            for case in cases
        ]
        unknown_place = conn.execute(
            "SELECT list_in_scope('620000', '{620000}', '{specialised}', NULL, 'specialised')"
        ).fetchone()
    expected = [
        (
            in_scope(
                province_code=province,
                region_codes=regions,
                tiers=tiers,
                reporting_unit_code=unit,
                tier=tier,
            ),
        )
        for province, regions, tiers, unit, tier in cases
    ]
    assert answers == expected and any(a == (True,) for a in answers)
    assert unknown_place == (False,)  # an enterprise the directory does not place is in no scope


async def test_pulls_in_flight_together_each_get_their_own_page_and_their_own_read(
    database_factory: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent pulls are answered in batches by one statement (``lists.service.DeltaPulls``):
    each pull gets its institution's page and one read on the log; a client linked to nothing is
    refused and logs nothing, without failing the others of its batch."""
    url = database_factory.create("delivery_batches", PACKAGE)
    sync_url = to_sync_url(url)
    with psycopg.connect(sync_url, autocommit=True) as setup:
        _place_both(setup)
        for n, (institution_id, region) in enumerate((("inst_a", "620100"), ("inst_b", "620200"))):
            setup.execute(
                "INSERT INTO institution VALUES (%s, 'bank', %s, %s, '620000', %s,"
                " '{specialised}', 'active', 1, now(), 'm', now(), 'm')",
                (
                    institution_id,
                    institution_id,
                    make_uscc(region="620100", body=f"MGBANK2{n}"),
                    [region],
                ),
            )
            setup.execute(
                "INSERT INTO institution_client VALUES (%s, %s, now(), 'm')",
                (f"client-{institution_id}", institution_id),
            )
        for seq, uscc in enumerate((LANZHOU, JIAYUGUAN, LANZHOU), start=1):
            setup.execute(
                "INSERT INTO certified_change (seq, uscc, kind, certificate_id, tier, level,"
                " issued_on, expires_on, status, changed_at) VALUES (%s, %s, %s, 'cert_1',"
                " 'specialised', 'provincial', '2026-01-10', '2029-01-09', 'valid', now())",
                (seq, uscc, "added" if seq < 3 else "renewed"),
            )
    database = Database.from_url(url)

    def bank(client_id: str) -> Principal:
        return Principal(
            subject=f"client:{client_id}",
            roles=frozenset({"bank"}),
            scopes=frozenset({"finance:read"}),
            client_id=client_id,
        )

    async def pull(client_id: str, **query: Any) -> Any:
        try:
            body = await lists.pull_deltas(
                database, query=DeltaQuery(**query), actor=bank(client_id)
            )
        except DomainError as refused:
            return refused.code
        return [(c["position"], c["uscc"]) for c in json.loads(body)["changes"]]

    clients = ["client-inst_a", "client-inst_b", "client-nobody"] * 8
    answers = await asyncio.gather(*(pull(c) for c in clients), pull("client-inst_a", limit=1))
    # One after another, with one drain at most: each pull arrives as the drain that answered
    # the one before ends (a drain still counted as running then left the next pull waiting
    # forever).
    monkeypatch.setattr(lists.DeltaPulls, "IN_FLIGHT", 1)
    for _ in range(5):
        async with asyncio.timeout(10):  # in this task: a new task would give the drain time
            assert await pull("client-inst_b") == [(2, JIAYUGUAN)]
    await database.dispose()
    assert answers[:3] == [
        [(1, LANZHOU), (3, LANZHOU)],
        [(2, JIAYUGUAN)],
        "institution_client_unknown",
    ]
    assert answers[:24] == answers[:3] * 8 and answers[24] == [(1, LANZHOU)]
    with psycopg.connect(sync_url, autocommit=True) as conn:
        reads = conn.execute(
            "SELECT institution_id, rows, cursor_from, cursor_to, count(*) FROM list_read"
            " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2"
        ).fetchall()
    assert reads == [("inst_a", 1, 0, 1, 1), ("inst_a", 2, 0, 3, 8), ("inst_b", 1, 0, 2, 13)]
