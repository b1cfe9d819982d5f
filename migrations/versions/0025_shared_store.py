"""several machines: uploads in the database, leases of periodic jobs (issue 26)

stored_file (an upload's bytes under its name below UPLOADS_DIR, when
MAILLAGE_UPLOADS_BACKEND=database) and job_lease (one row per periodic job: its lease and when it
is next due). New tables only: no existing table is altered.

Revision ID: 0025
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_file',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_stored_file'))
    )
    op.create_table('job_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=80), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_lease'))
    )


def downgrade():
    op.drop_table('job_lease')
    op.drop_table('stored_file')
