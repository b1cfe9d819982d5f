"""shared_link and shared_link_use (issue 23): read-only links to the organisers' figures for
people without an account, and the log of their uses

A link keeps the SHA-256 of its token (a leaked table opens nothing), what it shows (JSON), its
author, its expiry and its revocation; each use is a row (when, what, the outcome). New tables
only.

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shared_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=140), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_shared_link_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_shared_link_revoked_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_shared_link_token_hash'))
    )
    with op.batch_alter_table('shared_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_link_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('shared_link_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('what', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['shared_link.id'], name=op.f('fk_shared_link_use_link_id_shared_link'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_link_use'))
    )
    with op.batch_alter_table('shared_link_use', schema=None) as batch_op:
        batch_op.create_index('ix_shared_link_use_link_used_at', ['link_id', 'used_at'], unique=False)


def downgrade():
    with op.batch_alter_table('shared_link_use', schema=None) as batch_op:
        batch_op.drop_index('ix_shared_link_use_link_used_at')
    op.drop_table('shared_link_use')
    with op.batch_alter_table('shared_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_link_created_by_id'))
    op.drop_table('shared_link')
