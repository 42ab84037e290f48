"""A leaver's request keeps its approval message's link, as a single request does.

Revision ID: offboardings_permalink
Revises: bundle_lines_pending
"""

import sqlalchemy as sa
from alembic import op

revision = "offboardings_permalink"
down_revision = "bundle_lines_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offboardings") as batch:
        batch.add_column(sa.Column("approval_permalink", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offboardings") as batch:
        batch.drop_column("approval_permalink")
