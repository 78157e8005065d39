"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 13:32:08.533595
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():

    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=False),
        sa.Column("agency_ref", sa.String(length=64), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("substances", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=False),
        sa.Column("credibility", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("place_text", sa.Text(), nullable=False),
        sa.Column("x_l93", sa.Float(), nullable=False),
        sa.Column("y_l93", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("insee", sa.String(length=5), nullable=False),
        sa.Column("precision", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fictitious", sa.Boolean(), nullable=False),
        sa.CheckConstraint("precision IN ('point','address','commune')", name="ck_report_precision"),
        sa.CheckConstraint("reliability IN ('A','B','C','D','E','F')", name="ck_report_reliability"),
        sa.CheckConstraint("credibility BETWEEN 1 AND 6", name="ck_report_credibility"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency", "agency_ref", name="uq_report_agency_ref"),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_fictitious"), ["fictitious"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_insee"), ["insee"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_observed_at"), ["observed_at"], unique=False)


def downgrade():

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_observed_at"))
        batch_op.drop_index(batch_op.f("ix_report_insee"))
        batch_op.drop_index(batch_op.f("ix_report_fictitious"))
        batch_op.drop_index(batch_op.f("ix_report_category"))
        batch_op.drop_index(batch_op.f("ix_report_batch_id"))
        batch_op.drop_index(batch_op.f("ix_report_agency"))

    op.drop_table("report")
    op.drop_table("import_batch")
