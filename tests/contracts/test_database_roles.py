"""The docker-compose split of database roles, run for real: migrations as the role that owns the
database (no superuser), the service as ``sme_app``, which reads and writes its tables and may
only append to the audit."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from sme_common.audit.migrations import APP_ROLE
from sme_common.audit.verify import verify_chain
from sme_common.db import Database, to_sync_url
from sme_common.db.migrations import upgrade
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory
from sme_registry.app import create_app
from sme_registry.config import Settings
from sme_registry.reference.service import load_reference_data


async def test_an_owner_without_superuser_migrates_and_the_service_runs_as_the_app_role(
    postgres_server_url: str,
    database_factory: DatabaseFactory,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    migrator = f"t_migrator_{secrets.token_hex(3)}"
    admin_url = to_sync_url(postgres_server_url)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(migrator)))
        # What deploy/postgres/init-roles.sh does before the first migration.
        admin.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
            f"THEN CREATE ROLE {APP_ROLE}; END IF; END $$"
        )
    url = database_factory.create("roles")
    name = make_url(url).database
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(str(name)), sql.Identifier(migrator)
            )
        )
    upgrade("sme_registry", make_url(url).set(username=migrator).render_as_string())
    load_reference_data(url)

    settings = Settings(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    database = Database.from_url(url, role=APP_ROLE)
    try:
        app = create_app(settings, database=database)
        officer = bearer("province_officer", region="620000")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry"
        ) as client:
            uscc = make_uscc(region="620102", body="MR000001")
            created = await client.post(
                "/api/registry/v1/enterprises",
                headers=officer,
                json={"uscc": uscc, "name": "角色测试企业", "region_code": "620102"},
            )
            assert created.status_code == 201, created.text
            read = await client.get(f"/api/registry/v1/enterprises/{uscc}", headers=officer)
            assert read.status_code == 200, read.text
        report = await verify_chain(database)
        assert report.ok and report.checked == 2, report.summary()
    finally:
        await database.dispose()
        with psycopg.connect(to_sync_url(url), autocommit=True) as owner_db:
            role = sql.Identifier(migrator)
            owner_db.execute(sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER").format(role))
            owner_db.execute(sql.SQL("DROP OWNED BY {}").format(role))
            owner_db.execute(sql.SQL("DROP ROLE {}").format(role))


def test_a_write_outside_the_services_is_still_chained_and_names_the_database_user(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("bypass", "sme_registry")
    with psycopg.connect(to_sync_url(url)) as conn:
        conn.execute(
            "INSERT INTO service_person (id, name, role, region_code, reporting_unit_code, "
            "active, created_at, created_by) VALUES ('p1', '手工', 'service_commissioner', "
            "'620102', '620100', true, now(), 'psql')"
        )
        conn.commit()
        rows = conn.execute(
            "SELECT actor_subject, action, resource_type, resource_id FROM audit_record"
        ).fetchall()
        left = conn.execute("SELECT count(*) FROM audit_change").fetchone()
    user = make_url(url).username
    assert rows == [(f"database:{user}", "insert", "service_person", "p1")]
    assert left == (0,)


async def test_outside_dev_and_test_a_service_refuses_to_log_in_as_a_superuser(
    database_factory: DatabaseFactory, auth_dir: Path
) -> None:
    url = make_url(database_factory.create("superuser", "sme_registry"))
    settings = Settings(
        environment="production",  # type: ignore[arg-type]
        # The test server trusts local logins; the password only satisfies production settings.
        database_url=url.set(password="Str0ng-Secret").render_as_string(hide_password=False),  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="superuser"):
        async with app.router.lifespan_context(app):
            pass
