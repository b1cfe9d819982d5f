"""mail preferences per kind, digest runs, notification.until

`mail_preference` holds only the choices that differ from the defaults (app/mailprefs/);
`digest_run` makes a digest once per member, period and period start. `notification.until`
(a mute's end) is added with ADD COLUMN (no table copy on SQLite).

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_mail_preference_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_mail_preference'))
    )
    op.create_table('digest_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('covered_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_digest_run_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_run')),
    sa.UniqueConstraint('user_id', 'period', 'period_start', name=op.f('uq_digest_run_user_id'))
    )
    op.create_index('ix_digest_run_user_period', 'digest_run', ['user_id', 'period', 'covered_until'], unique=False)
    op.add_column('notification', sa.Column('until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('until')
    op.drop_index('ix_digest_run_user_period', table_name='digest_run')
    op.drop_table('digest_run')
    op.drop_table('mail_preference')
