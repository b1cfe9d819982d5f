"""place: its kind and website, and where an imported place came from (issue 23)

kind (coworking, fablab, other; NULL when not said) and website; source ("CGET 2019"),
source_id (the row's ID in that list), imported_at, confirmed_at and confirmed_by_id (NULL
until an organiser or the place's animator confirms or corrects it: an import never overwrites
a confirmed place). A unique index on (source, source_id): a second import finds each place
again. Every column with a plain ADD COLUMN on both engines: a batch copy of "place" on SQLite
would drop the table, and its cascades (animators, plans, polls, events) with it.

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('place', sa.Column('kind', sa.String(length=10), nullable=True))
    op.add_column('place', sa.Column('website', sa.String(length=300), server_default='',
                                     nullable=False))
    op.add_column('place', sa.Column('source', sa.String(length=40), nullable=True))
    op.add_column('place', sa.Column('source_id', sa.String(length=40), nullable=True))
    op.add_column('place', sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('place', sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its REFERENCES clause, but Alembic would then ask for an
        # ALTER ... ADD CONSTRAINT, which SQLite does not have.
        op.execute('ALTER TABLE place ADD COLUMN confirmed_by_id INTEGER '
                   'CONSTRAINT fk_place_confirmed_by_id_user REFERENCES "user" (id) '
                   'ON DELETE SET NULL')
    else:
        op.add_column('place', sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_place_confirmed_by_id_user'), 'place', 'user',
                              ['confirmed_by_id'], ['id'], ondelete='SET NULL')
    op.create_index('ix_place_source', 'place', ['source', 'source_id'], unique=True)


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+), never batch mode (see above).
    op.drop_index('ix_place_source', table_name='place')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_place_confirmed_by_id_user'), 'place', type_='foreignkey')
    for column in ('confirmed_by_id', 'confirmed_at', 'imported_at', 'source_id', 'source',
                   'website', 'kind'):
        op.drop_column('place', column)
