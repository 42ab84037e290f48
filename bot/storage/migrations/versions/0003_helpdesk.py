"""Help-desk tickets; who entered a request, its help-desk thread, permalink, reminders.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("line_requests") as batch:
        batch.add_column(sa.Column("entered_by", sa.String(32)))
        batch.add_column(sa.Column("helpdesk_channel", sa.String(32)))
        batch.add_column(sa.Column("helpdesk_ts", sa.String(32)))
        batch.add_column(sa.Column("approval_permalink", sa.String(500)))
        batch.add_column(sa.Column("reminders_sent", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "helpdesk_tickets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=False),
        sa.Column("poster_id", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("service_number", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("channel", "message_ts", name="uq_helpdesk_ticket_message"),
    )


def downgrade() -> None:
    op.drop_table("helpdesk_tickets")
    with op.batch_alter_table("line_requests") as batch:
        for column in ("reminders_sent", "approval_permalink", "helpdesk_ts",
                       "helpdesk_channel", "entered_by"):
            batch.drop_column(column)
