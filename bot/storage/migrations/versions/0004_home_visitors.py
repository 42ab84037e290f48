"""Who opened the App Home, so Homes nobody looks at are not published.

Revision ID: 0004_home_visitors
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "0004_home_visitors"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_visitors",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("first_opened_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("home_visitors")
