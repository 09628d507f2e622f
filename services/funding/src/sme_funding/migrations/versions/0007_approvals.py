"""Approval of entitlements by amount (issue 9, point 4): the approval of each entitlement and
its steps. Self-contained (only its own tables), so that placing it after another revision
changes nothing but ``down_revision``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from sme_common.audit.migrations import audit_tables_v1

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "approval",
        sa.Column("entitlement_id", sa.Text, sa.ForeignKey("entitlement.id"), primary_key=True),
        sa.Column("chains_version", sa.Text, nullable=False),
        sa.Column("tier_code", sa.Text, nullable=False),
        sa.Column("steps", JSONB, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("next_position", sa.Integer),
        sa.Column("next_role", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint(
            "state IN ('in_progress', 'approved', 'rejected', 'withdrawn')",
            name="ck_approval_state",
        ),
        sa.CheckConstraint("round >= 1", name="ck_approval_round"),
    )
    op.create_index("ix_approval_state_next_role", "approval", ["state", "next_role"])
    op.create_table(
        "approval_step",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "entitlement_id",
            sa.Text,
            sa.ForeignKey("approval.entitlement_id"),
            nullable=False,
        ),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("remarks", sa.Text),
        sa.Column("entitlement_version", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.CheckConstraint(
            "action IN ('approve', 'return', 'reject', 'withdraw')", name="ck_approval_step_action"
        ),
    )
    op.create_index("ix_approval_step_entitlement_id", "approval_step", ["entitlement_id"])
    audit_tables_v1({"approval": ("entitlement_id",), "approval_step": ("id",)})


def downgrade() -> None:
    raise NotImplementedError("drop the database instead")
