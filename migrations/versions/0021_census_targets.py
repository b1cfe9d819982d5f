"""census (issue 24): a campaign's frame, its sample of targets, outreach, the do-not-contact
list, answers that came through the census; the address SIRENE publishes

New tables: census_frame (a campaign's extra communes, short code, letter and flyer texts),
census_epci (a referent per EPCI), census_quota (answers aimed at per EPCI and track),
census_draw (seed, size, filters, strata), census_target (a drawn establishment or member and
its outreach; a random `ref` for its link), census_suppression (by SIRET or account, outliving
SIRENE imports), census_answer (an answer linked to a target, or entered in the field).
sirene_establishment gets `address` (a plain ADD COLUMN, '' until the next import).

While helper branches are merged: written after 0019; re-point down_revision to '0020' when
0020 is merged before it.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('census_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('naf_include', sa.JSON(), nullable=False),
    sa.Column('naf_exclude', sa.JSON(), nullable=False),
    sa.Column('include_members', sa.Boolean(), nullable=False),
    sa.Column('frame_size', sa.Integer(), nullable=False),
    sa.Column('strata', sa.JSON(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_draw_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['user.id'], name=op.f('fk_census_draw_drawn_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_census_draw'))
    )
    with op.batch_alter_table('census_draw', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_census_draw_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('census_epci',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('epci_code', sa.String(length=9), nullable=False),
    sa.Column('referent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_epci_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referent_id'], ['user.id'], name=op.f('fk_census_epci_referent_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id', 'epci_code', name=op.f('pk_census_epci'))
    )
    with op.batch_alter_table('census_epci', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_census_epci_referent_id'), ['referent_id'], unique=False)

    op.create_table('census_frame',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('commune_codes', sa.JSON(), nullable=False),
    sa.Column('short_code', sa.String(length=8), nullable=False),
    sa.Column('letter_text', sa.Text(), nullable=False),
    sa.Column('flyer_text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_frame_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_census_frame_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_census_frame')),
    sa.UniqueConstraint('short_code', name=op.f('uq_census_frame_short_code'))
    )
    op.create_table('census_quota',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('epci_code', sa.String(length=9), nullable=False),
    sa.Column('track', sa.String(length=12), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_quota_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'epci_code', 'track', name=op.f('pk_census_quota'))
    )
    op.create_table('census_suppression',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=280), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_suppression_campaign_id_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_census_suppression_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_census_suppression_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_census_suppression')),
    sa.UniqueConstraint('siret', name=op.f('uq_census_suppression_siret')),
    sa.UniqueConstraint('user_id', name=op.f('uq_census_suppression_user_id'))
    )
    op.create_table('census_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('commune_insee', sa.String(length=5), nullable=False),
    sa.Column('epci_code', sa.String(length=9), nullable=False),
    sa.Column('size_class', sa.String(length=12), nullable=False),
    sa.Column('draw_key', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=280), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('swapped_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('swap_reason', sa.String(length=280), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_target_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draw_id'], ['census_draw.id'], name=op.f('fk_census_target_draw_id_census_draw'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['census_target.id'], name=op.f('fk_census_target_replaced_by_id_census_target'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['status_by_id'], ['user.id'], name=op.f('fk_census_target_status_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_census_target_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_census_target')),
    sa.UniqueConstraint('ref', name=op.f('uq_census_target_ref'))
    )
    with op.batch_alter_table('census_target', schema=None) as batch_op:
        batch_op.create_index('ix_census_target_campaign_epci', ['campaign_id', 'epci_code'], unique=False)
        batch_op.create_index('ix_census_target_siret', ['siret'], unique=False)
        batch_op.create_index(batch_op.f('ix_census_target_user_id'), ['user_id'], unique=False)

    op.create_table('census_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('declaration_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_census_answer_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['declaration_id'], ['declaration.id'], name=op.f('fk_census_answer_declaration_id_declaration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_census_answer_entered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_id'], ['census_target.id'], name=op.f('fk_census_answer_target_id_census_target'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_census_answer')),
    sa.UniqueConstraint('target_id', 'declaration_id', name=op.f('uq_census_answer_target_id'))
    )
    with op.batch_alter_table('census_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_census_answer_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_census_answer_declaration_id'), ['declaration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_census_answer_target_id'), ['target_id'], unique=False)

    # A plain ADD COLUMN on both engines (no batch copy of a table that may hold a whole
    # département's establishments).
    op.add_column('sirene_establishment', sa.Column('address', sa.String(length=250),
                                                    server_default='', nullable=False))



def downgrade():
    op.drop_column('sirene_establishment', 'address')  # SQLite 3.35+: no batch copy

    with op.batch_alter_table('census_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_census_answer_target_id'))
        batch_op.drop_index(batch_op.f('ix_census_answer_declaration_id'))
        batch_op.drop_index(batch_op.f('ix_census_answer_campaign_id'))

    op.drop_table('census_answer')
    with op.batch_alter_table('census_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_census_target_user_id'))
        batch_op.drop_index('ix_census_target_siret')
        batch_op.drop_index('ix_census_target_campaign_epci')

    op.drop_table('census_target')
    op.drop_table('census_suppression')
    op.drop_table('census_quota')
    op.drop_table('census_frame')
    with op.batch_alter_table('census_epci', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_census_epci_referent_id'))

    op.drop_table('census_epci')
    with op.batch_alter_table('census_draw', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_census_draw_campaign_id'))

    op.drop_table('census_draw')
