"""Workflow Builder steps: each run recorded once, and the request filled in for it.

Revision ID: steps_workflow_executions
Revises: approvers_0001
"""

import sqlalchemy as sa
from alembic import op

from bot.storage.tables import UTCDateTime

revision = "steps_workflow_executions"
down_revision = "approvers_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_executions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("callback_id", sa.String(64), nullable=False),
        sa.Column("inputs_json", sa.JSON, nullable=False),
        sa.Column("requester_id", sa.String(32)),
        sa.Column("request_id", sa.String(36), unique=True),
        sa.Column("offboarding_id", sa.String(36), unique=True),
        sa.Column("refusal", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("line_requests") as batch:
        batch.add_column(sa.Column("workflow_execution_id", sa.String(64)))
    with op.batch_alter_table("offboardings") as batch:
        batch.add_column(sa.Column("workflow_execution_id", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("offboardings") as batch:
        batch.drop_column("workflow_execution_id")
    with op.batch_alter_table("line_requests") as batch:
        batch.drop_column("workflow_execution_id")
    op.drop_table("workflow_executions")
