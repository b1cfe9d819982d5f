"""staff access: investigation access to private rooms, two-factor sign-in

`investigation_access`: an organiser's or admin's time-limited right to read one private room,
given with a reason (audited, told to the room's people). `recovery_code`: the single-use
recovery codes of two-factor sign-in, hashed. Three nullable columns on `user` for the TOTP
secret, when it was confirmed, and the last step used; added with plain ADD COLUMN (a batch
copy of `user` on SQLite would cascade deletes to its profiles).

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('user', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('user', sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table('investigation_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('room_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['room_id'], ['room.id'],
                                name=op.f('fk_investigation_access_room_id_room'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_id'], ['user.id'],
                                name=op.f('fk_investigation_access_staff_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation_access')),
    )
    op.create_index('ix_investigation_access_room_staff', 'investigation_access',
                    ['room_id', 'staff_id', 'expires_at'], unique=False)
    op.create_table('recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_recovery_code_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    )
    op.create_index('ix_recovery_code_user', 'recovery_code', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_recovery_code_user', table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_index('ix_investigation_access_room_staff', table_name='investigation_access')
    op.drop_table('investigation_access')
    op.drop_column('user', 'totp_last_step')
    op.drop_column('user', 'totp_enabled_at')
    op.drop_column('user', 'totp_secret')
