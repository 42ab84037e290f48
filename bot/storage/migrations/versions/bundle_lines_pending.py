"""A leaver's request's lines wait with it: PENDING, no longer DRAFT, while the request waits
for approval (or was approved and a crash left a line unplaced: the follower places it).

Revision ID: bundle_lines_pending
Revises: steps_workflow_executions
"""

from alembic import op

revision = "bundle_lines_pending"
down_revision = "steps_workflow_executions"
branch_labels = None
depends_on = None


def _move(old: str, new: str) -> None:
    op.execute(
        f"UPDATE line_requests SET state = '{new}' WHERE state = '{old}' "
        "AND offboarding_id IN (SELECT id FROM offboardings "
        "WHERE state IN ('pending', 'approved'))")


def upgrade() -> None:
    _move("draft", "pending")


def downgrade() -> None:
    _move("pending", "draft")
