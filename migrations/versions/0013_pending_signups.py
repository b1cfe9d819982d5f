"""pending sign-ups: a sign-up is finished from a mailed link

`pending_signup` keeps what the sign-up form gave (the address, the name, the password's hash,
the page's language) and a SHA-256 of the link's token, until the link is followed or for 48
hours. Not unique per address (each sign-up sends its own link). A new table only: the `user`
table is not altered.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_signup')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pending_signup_token_hash'))
    )
    op.create_index(op.f('ix_pending_signup_email'), 'pending_signup', ['email'], unique=False)
    op.create_index(op.f('ix_pending_signup_created_at'), 'pending_signup', ['created_at'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_pending_signup_created_at'), table_name='pending_signup')
    op.drop_index(op.f('ix_pending_signup_email'), table_name='pending_signup')
    op.drop_table('pending_signup')
