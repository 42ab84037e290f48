"""Outbox calls may have a purpose; one approval post per request at most.

Revision ID: outbox_approval_post
Revises: mobproc_approvals_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "outbox_approval_post"
down_revision = "mobproc_approvals_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("purpose", sa.String(32)))
    # NULL purposes (ordinary replies) never collide: both databases treat NULLs as distinct.
    op.create_index("uq_outbox_request_purpose", "outbox", ["request_id", "purpose"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_outbox_request_purpose", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("purpose")
