"""room_member.mailed_through_id: unread chat messages mailed once per conversation

The newest message an "unread messages" mail spoke of (app/mailprefs/chat_unread.py); no other
such mail for that room until the member's read marker reaches it. Added with ADD COLUMN (no
table copy on SQLite), nullable: every existing member starts with no mail sent.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('room_member', sa.Column('mailed_through_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('room_member', schema=None) as batch_op:
        batch_op.drop_column('mailed_through_id')
