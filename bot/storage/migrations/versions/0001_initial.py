"""Order requests and the statuses seen for them.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "line_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("transaction_type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("requester_id", sa.String(32), nullable=False, index=True),
        sa.Column("requester_name", sa.String(255)),
        sa.Column("requester_email", sa.String(320)),
        sa.Column("origin_channel", sa.String(32)),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("service_number", sa.String(32), nullable=False, index=True),
        sa.Column("service_json", sa.JSON, nullable=False),
        sa.Column("form_json", sa.JSON, nullable=False),
        sa.Column("properties_json", sa.JSON),
        sa.Column("acknowledged_json", sa.JSON),
        sa.Column("confirmation_json", sa.JSON),
        sa.Column("external_order_number", sa.String(64), nullable=False, unique=True),
        sa.Column("approval_channel", sa.String(32)),
        sa.Column("approval_ts", sa.String(32)),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("order_id", sa.String(64), index=True),
        sa.Column("order_status", sa.String(64)),
        sa.Column("segment_statuses_json", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_line_requests_approval_message", "line_requests",
                    ["approval_channel", "approval_ts"])
    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(36), sa.ForeignKey("line_requests.id"),
                  nullable=False, index=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("old_status", sa.String(64)),
        sa.Column("new_status", sa.String(64), nullable=False),
        sa.Column("vendor", sa.String(255)),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.Column("posted_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("status_events")
    op.drop_table("line_requests")
