"""Budgets (funds, allocations by 市州, commitments) and the double-entry ledger (issue 9, points 3
and 7). Self-contained: it creates only its own tables, functions and triggers, so that placing it
after another revision changes nothing but ``down_revision``.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from sme_common.audit.migrations import audit_tables_v1

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
FEN = sa.BigInteger

# Deferred to the end of the transaction: the lines of one entry are inserted one by one.
_ENTRY_BALANCED = """
CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_entry bigint;
    v_debit numeric;
    v_credit numeric;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_entry := OLD.entry_id;
    ELSE
        v_entry := NEW.entry_id;
    END IF;
    SELECT coalesce(sum(debit_fen), 0), coalesce(sum(credit_fen), 0)
      INTO v_debit, v_credit FROM journal_line WHERE entry_id = v_entry;
    IF v_debit <> v_credit THEN
        RAISE EXCEPTION 'journal entry % does not balance: debit %, credit %',
            v_entry, v_debit, v_credit
            USING ERRCODE = '23514', CONSTRAINT = 'journal_line_balanced';
    END IF;
    RETURN NULL;
END $$;
"""

_APPEND_ONLY = """
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = '42501';
END $$;
"""


def _budgets() -> None:
    op.create_table(
        "fund",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("source_kind", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("total_fen", FEN, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("province_code", "code", "year", name="uq_fund_code_year"),
        sa.CheckConstraint("total_fen >= 0", name="ck_fund_total_not_negative"),
    )
    op.create_table(
        "allocation",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("fund_id", sa.Text, sa.ForeignKey("fund.id"), nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("amount_fen", FEN, nullable=False),
        sa.Column("committed_fen", FEN, nullable=False),
        sa.Column("paid_fen", FEN, nullable=False),
        sa.Column("recovery_raised_fen", FEN, nullable=False),
        sa.Column("recovered_fen", FEN, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("fund_id", "region_code", name="uq_allocation_fund_region"),
        # Never over-committed, whatever the code above does (the last line of defence).
        sa.CheckConstraint(
            "0 <= recovered_fen AND recovered_fen <= recovery_raised_fen"
            " AND recovery_raised_fen <= paid_fen AND paid_fen <= committed_fen"
            " AND committed_fen <= amount_fen",
            name="ck_allocation_figures_in_order",
        ),
    )
    op.create_index("ix_allocation_region_code", "allocation", ["region_code"])
    op.create_table(
        "budget_commitment",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("subject_ref", sa.Text, nullable=False),
        sa.Column("fund_id", sa.Text, sa.ForeignKey("fund.id"), nullable=False),
        sa.Column("allocation_id", sa.Text, sa.ForeignKey("allocation.id"), nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("amount_fen", FEN, nullable=False),
        sa.Column("paid_fen", FEN, nullable=False),
        sa.Column("recovery_raised_fen", FEN, nullable=False),
        sa.Column("recovered_fen", FEN, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("last_failure_reason", sa.Text),
        sa.Column("last_failure_batch_ref", sa.Text),
        sa.Column("last_failure_on", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("committed_at", TS, nullable=False),
        sa.Column("committed_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("subject_ref", name="uq_budget_commitment_subject_ref"),
        sa.CheckConstraint(
            "0 <= recovered_fen AND recovered_fen <= recovery_raised_fen"
            " AND recovery_raised_fen <= paid_fen AND paid_fen <= amount_fen AND amount_fen > 0",
            name="ck_budget_commitment_figures_in_order",
        ),
    )
    op.create_index("ix_budget_commitment_allocation_id", "budget_commitment", ["allocation_id"])


def _ledger() -> None:
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("booked_on", sa.Date, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("fund_id", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("subject_ref", sa.Text),
        sa.Column("operation_key", sa.Text, nullable=False),
        sa.Column("memo", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.UniqueConstraint("operation_key", name="uq_journal_entry_operation_key"),
    )
    op.create_index("ix_journal_entry_subject_ref", "journal_entry", ["subject_ref"])
    op.create_index("ix_journal_entry_fund_id", "journal_entry", ["fund_id"])
    op.create_table(
        "journal_line",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entry_id", sa.BigInteger, sa.ForeignKey("journal_entry.id"), nullable=False),
        sa.Column("fund_id", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("debit_fen", FEN, nullable=False),
        sa.Column("credit_fen", FEN, nullable=False),
        sa.CheckConstraint(
            "debit_fen >= 0 AND credit_fen >= 0 AND (debit_fen = 0) <> (credit_fen = 0)",
            name="ck_journal_line_one_sided",
        ),
    )
    op.create_index("ix_journal_line_entry_id", "journal_line", ["entry_id"])
    op.create_index(
        "ix_journal_line_account", "journal_line", ["fund_id", "region_code", "account"]
    )
    op.execute(_ENTRY_BALANCED)
    op.execute(
        "CREATE CONSTRAINT TRIGGER journal_line_balanced"
        " AFTER INSERT OR UPDATE OR DELETE ON journal_line"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced()"
    )
    op.execute(_APPEND_ONLY)
    for table in ("journal_entry", "journal_line"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION journal_append_only()"
        )


def upgrade() -> None:
    _budgets()
    _ledger()
    audit_tables_v1(
        {
            "fund": ("id",),
            "allocation": ("id",),
            "budget_commitment": ("id",),
            "journal_entry": ("id",),
            "journal_line": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
