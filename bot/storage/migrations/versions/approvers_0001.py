"""Requests some order types need several approvers for record each approval (one row per
request and approver).

Revision ID: approvers_0001
Revises: labels_definitions
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "approvers_0001"
down_revision = "labels_definitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("approver_id", sa.String(32), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("subject_id", "approver_id", name="uq_approval_subject_approver"),
    )


def downgrade() -> None:
    op.drop_table("approvals")
