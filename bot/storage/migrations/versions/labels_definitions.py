"""A MobProc approval keeps MobProc's definitions of its order's fields: choice labels.

Revision ID: labels_definitions
Revises: mpapprovals_answer_attempt
"""

import sqlalchemy as sa
from alembic import op

revision = "labels_definitions"
down_revision = "mpapprovals_answer_attempt"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mobproc_approvals") as batch:
        batch.add_column(sa.Column("definitions_json", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mobproc_approvals") as batch:
        batch.drop_column("definitions_json")
