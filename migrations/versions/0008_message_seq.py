"""chat messages numbered per room in commit order (message.seq, room.last_seq)

Catch-up after a reconnection asked for "messages after id N"; on PostgreSQL ids are taken at
INSERT and transactions commit in another order, so a late commit with a lower id was skipped
for good. Each room now numbers its messages under a lock on its row: `seq` follows commit
order. Existing messages are numbered in id order (their order until now).

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('room') as batch_op:
        batch_op.add_column(sa.Column('last_seq', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('message') as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    # Portable SQL (SQLite and PostgreSQL): the rank of each message in its room by id, through
    # the (room_id, id) index.
    op.execute("UPDATE message SET seq = (SELECT count(*) FROM message AS earlier "
               "WHERE earlier.room_id = message.room_id AND earlier.id <= message.id)")
    op.execute("UPDATE room SET last_seq = coalesce((SELECT max(seq) FROM message "
               "WHERE message.room_id = room.id), 0)")
    with op.batch_alter_table('message') as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_message_room_seq', ['room_id', 'seq'])


def downgrade():
    with op.batch_alter_table('message') as batch_op:
        batch_op.drop_constraint('uq_message_room_seq', type_='unique')
        batch_op.drop_column('seq')
    with op.batch_alter_table('room') as batch_op:
        batch_op.drop_column('last_seq')
