"""A MobProc approval counts the attempts to send its answer: the fence on the answer.

Revision ID: mpapprovals_answer_attempt
Revises: effects_fence
"""

import sqlalchemy as sa
from alembic import op

revision = "mpapprovals_answer_attempt"
down_revision = "effects_fence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mobproc_approvals") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("mobproc_approvals") as batch:
        batch.drop_column("attempt")
