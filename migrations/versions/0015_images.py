"""Images (issue 21): profile.avatar, network.logo, place.photo and place.photo_alt

Each image column holds the key of an image in the store (app/images/storage.py: the files
live under instance/uploads/images/), or NULL (initials, or no logo or photo). Added with ADD
COLUMN (no table copy on SQLite), nullable or with a server default: existing rows start with
no image.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('profile', sa.Column('avatar', sa.String(length=40), nullable=True))
    op.add_column('network', sa.Column('logo', sa.String(length=40), nullable=True))
    op.add_column('place', sa.Column('photo', sa.String(length=40), nullable=True))
    op.add_column('place', sa.Column('photo_alt', sa.String(length=200), server_default='',
                                     nullable=False))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+), never batch mode: recreating profile, network or place
    # on SQLite would cascade into every table that references them (memberships, posts...).
    op.drop_column('place', 'photo_alt')
    op.drop_column('place', 'photo')
    op.drop_column('network', 'logo')
    op.drop_column('profile', 'avatar')
