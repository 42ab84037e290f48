"""A leaver's request counts the reminders sent to its approvers.

Revision ID: offboarding_reminders
Revises: replicas_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "offboarding_reminders"
down_revision = "replicas_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offboardings") as batch:
        batch.add_column(sa.Column("reminders_sent", sa.Integer, nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("offboardings") as batch:
        batch.drop_column("reminders_sent")
