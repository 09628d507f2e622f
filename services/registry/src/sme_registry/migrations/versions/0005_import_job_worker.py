"""Import jobs run by the service's workers: a failure code, and an index to claim pending jobs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_job", sa.Column("failure_code", sa.Text))
    # Jobs that died with the API process before workers ran them (issue 6, defect 9) end cleanly.
    op.execute(
        "UPDATE import_job SET status = 'failed', failure_code = 'interrupted', "
        "failure = 'the import was interrupted before it finished; upload the file again / "
        "导入在完成前中断，请重新上传文件', finished_at = now() "
        "WHERE status IN ('queued', 'running')"
    )
    op.create_index(
        "ix_import_job_pending",
        "import_job",
        ["created_at"],
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
