"""user.personal_version: a number bumped whenever something only this person sees changes

Member pages are cached per login session (app/pagecache.py) and keyed on it, next to the
content version. Added with ADD COLUMN and a server default (no table copy on SQLite): every
existing account starts at 0.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('personal_version', sa.Integer(), server_default='0',
                                    nullable=False))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+), never batch mode: recreating `user` on SQLite would
    # cascade into every table that references it.
    op.drop_column('user', 'personal_version')
