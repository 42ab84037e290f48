"""A submission's claim is fenced: an attempt number raised by every taker, and a lease.

Revision ID: effects_fence
Revises: offboarding_reminders
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "effects_fence"
down_revision = "offboarding_reminders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("line_requests") as batch:
        batch.add_column(sa.Column("submit_attempt", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("submit_lease_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("line_requests") as batch:
        batch.drop_column("submit_lease_until")
        batch.drop_column("submit_attempt")
