"""saved searches and their alerts (issue 25)

saved_search (a member's people search: words and place as typed, commune field, distance,
kind of profile), saved_search_match (a profile a search told its member about: once per
search and profile) and saved_search_scan (how far the alerts have looked at changed
profiles). New tables only: no existing table is altered.

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_search',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('commune', sa.String(length=120), nullable=False),
    sa.Column('within_km', sa.Integer(), nullable=True),
    sa.Column('profile_kind', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_saved_search_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_search'))
    )
    with op.batch_alter_table('saved_search', schema=None) as batch_op:
        batch_op.create_index('ix_saved_search_user', ['user_id', 'id'], unique=False)

    op.create_table('saved_search_match',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('saved_search_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['profile.id'], name=op.f('fk_saved_search_match_profile_id_profile'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['saved_search_id'], ['saved_search.id'], name=op.f('fk_saved_search_match_saved_search_id_saved_search'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_search_match')),
    sa.UniqueConstraint('saved_search_id', 'profile_id', name=op.f('uq_saved_search_match_saved_search_id'))
    )
    with op.batch_alter_table('saved_search_match', schema=None) as batch_op:
        batch_op.create_index('ix_saved_search_match_profile', ['profile_id'], unique=False)

    op.create_table('saved_search_scan',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_saved_search_scan'))
    )


def downgrade():
    op.drop_table('saved_search_scan')
    with op.batch_alter_table('saved_search_match', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_search_match_profile')
    op.drop_table('saved_search_match')
    with op.batch_alter_table('saved_search', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_search_user')
    op.drop_table('saved_search')
