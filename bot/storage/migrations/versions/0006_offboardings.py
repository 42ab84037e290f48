"""/offboard-lines requests, and the link from each line's order to its request.

Revision ID: offboardings_0001
Revises: metrics_request_counts
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "offboardings_0001"
down_revision = "metrics_request_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offboardings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("requester_id", sa.String(32), nullable=False),
        sa.Column("requester_name", sa.String(255)),
        sa.Column("requester_email", sa.String(320)),
        sa.Column("employee_ref", sa.String(320), nullable=False),
        sa.Column("employee_name", sa.String(255)),
        sa.Column("origin_channel", sa.String(32)),
        sa.Column("lines_json", sa.JSON, nullable=False),
        sa.Column("choices_json", sa.JSON),
        sa.Column("approval_channel", sa.String(32)),
        sa.Column("approval_ts", sa.String(32)),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("line_requests") as batch:
        batch.add_column(sa.Column("offboarding_id", sa.String(36)))
        batch.create_index("ix_line_requests_offboarding_id", ["offboarding_id"])


def downgrade() -> None:
    with op.batch_alter_table("line_requests") as batch:
        batch.drop_index("ix_line_requests_offboarding_id")
        batch.drop_column("offboarding_id")
    op.drop_table("offboardings")
