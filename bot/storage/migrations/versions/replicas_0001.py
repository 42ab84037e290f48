"""Once across replicas: a version per request's statuses, row leases for per-order reads,
and the shared cursor of the incremental follower.

Revision ID: replicas_0001
Revises: offboardings_0001
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "replicas_0001"
down_revision = "offboardings_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("line_requests") as batch:
        batch.add_column(sa.Column("status_version", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("next_check_at", UTCDateTime()))
        batch.create_index("ix_line_requests_follow", ["state", "next_check_at"])
    cursor = op.create_table(
        "follower_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("updated_since", UTCDateTime()),
        sa.Column("leased_until", UTCDateTime()),
    )
    op.bulk_insert(cursor, [{"name": "orders"}])


def downgrade() -> None:
    op.drop_table("follower_cursor")
    with op.batch_alter_table("line_requests") as batch:
        batch.drop_index("ix_line_requests_follow")
        batch.drop_column("next_check_at")
        batch.drop_column("status_version")
