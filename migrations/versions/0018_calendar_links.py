"""user.calendar_token_hash: the private link of a member's own calendar ("events I'm going to");
event_registration.reminded_at: when the day-before reminder was given

The SHA-256 of the link's secret (a leaked table opens nothing); NULL when there is no link.
Revoking makes a new one. Both added with ADD COLUMN, no copy of a table.

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_user_calendar_token_hash'), 'user', ['calendar_token_hash'],
                    unique=True)
    op.add_column('event_registration', sa.Column('reminded_at', sa.DateTime(timezone=True),
                                                  nullable=True))


def downgrade():
    op.drop_column('event_registration', 'reminded_at')
    op.drop_index(op.f('ix_user_calendar_token_hash'), table_name='user')
    op.drop_column('user', 'calendar_token_hash')  # a plain DROP COLUMN, never batch mode
