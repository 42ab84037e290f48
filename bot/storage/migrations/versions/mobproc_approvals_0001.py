"""MobProc's own approvals answered in Slack; who decided an order that waited for them.

Revision ID: mobproc_approvals_0001
Revises: 0004_home_visitors
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "mobproc_approvals_0001"
down_revision = "0004_home_visitors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("line_requests") as batch:
        batch.add_column(sa.Column("mobproc_decision_json", sa.JSON))
    op.create_table(
        "mobproc_approvals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("approver_id", sa.String(32), nullable=False),
        sa.Column("employee_id", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("order_json", sa.JSON, nullable=False),
        sa.Column("action", sa.String(8)),
        sa.Column("reason", sa.Text),
        sa.Column("answer", sa.String(64)),
        sa.Column("message", sa.Text),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("dm_channel", sa.String(32)),
        sa.Column("dm_ts", sa.String(32)),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("order_id", "approver_id",
                            name="uq_mobproc_approval_order_approver"),
    )
    op.create_index("ix_mobproc_approvals_approver_id", "mobproc_approvals", ["approver_id"])
    op.create_index("ix_mobproc_approvals_state", "mobproc_approvals", ["state"])


def downgrade() -> None:
    op.drop_index("ix_mobproc_approvals_state", "mobproc_approvals")
    op.drop_index("ix_mobproc_approvals_approver_id", "mobproc_approvals")
    op.drop_table("mobproc_approvals")
    with op.batch_alter_table("line_requests") as batch:
        batch.drop_column("mobproc_decision_json")
