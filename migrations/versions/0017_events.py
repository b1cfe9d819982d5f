"""events (issue 22): `event` and `event_registration`

Events belong to a place, a network or an organiser; times in UTC (meant in Europe/Paris), a
recurrence rule (RFC 5545) with its changed occurrences in JSON; `seats_taken` is kept by
conditional UPDATEs so that no registration passes capacity. New tables only.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=True),
    sa.Column('network_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rrule', sa.String(length=200), nullable=True),
    sa.Column('exceptions', sa.JSON(), nullable=False),
    sa.Column('location', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('price_eur', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('cover', sa.String(length=40), nullable=True),
    sa.Column('cover_alt', sa.String(length=200), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commune_insee'], ['commune.insee'], name=op.f('fk_event_commune_insee_commune')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_event_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['network.id'], name=op.f('fk_event_network_id_network'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_event_place_id_place'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_commune_starts_at', ['commune_insee', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_network_id'), ['network_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_place_id'), ['place_id'], unique=False)
        batch_op.create_index('ix_event_starts_at', ['starts_at'], unique=False)

    op.create_table('event_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_registration_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_event_registration_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registration')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_registration_event_id'))
    )
    with op.batch_alter_table('event_registration', schema=None) as batch_op:
        batch_op.create_index('ix_event_registration_user', ['user_id', 'status'], unique=False)
        batch_op.create_index('ix_event_registration_waiting', ['event_id', 'status', 'id'], unique=False)

    # What a notification about an event leads to. Batch mode: SQLite copies `notification`
    # (no table references it) to add the named reference; PostgreSQL just alters it.
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notification_event_id_event'), 'event',
                                    ['event_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_event_id_event'), type_='foreignkey')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('event_registration', schema=None) as batch_op:
        batch_op.drop_index('ix_event_registration_waiting')
        batch_op.drop_index('ix_event_registration_user')

    op.drop_table('event_registration')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_starts_at')
        batch_op.drop_index(batch_op.f('ix_event_place_id'))
        batch_op.drop_index(batch_op.f('ix_event_network_id'))
        batch_op.drop_index('ix_event_commune_starts_at')

    op.drop_table('event')
