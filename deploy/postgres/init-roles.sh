#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (/docker-entrypoint-initdb.d).
# Two roles (docs/audit.md): sme_migrator owns the service databases and runs `migrate`;
# sme_app is what the services log in as. Migrations grant sme_app what it needs on each
# database (read/write on the service's tables, only SELECT/INSERT on the audit), nothing more.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v migrator_password="$SME_MIGRATOR_DB_PASSWORD" \
    -v app_password="$SME_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE sme_migrator LOGIN PASSWORD :'migrator_password';
CREATE ROLE sme_app LOGIN PASSWORD :'app_password';
CREATE DATABASE sme_registry OWNER sme_migrator;
CREATE DATABASE sme_certification OWNER sme_migrator;
CREATE DATABASE sme_funding OWNER sme_migrator;
CREATE DATABASE sme_finance_matching OWNER sme_migrator;
CREATE DATABASE sme_complaints OWNER sme_migrator;
SQL
