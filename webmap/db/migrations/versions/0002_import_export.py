"""import and export: history, rejections, profiles, batch rollback

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unchanged", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("agency", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("profile", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rolled_back_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("rolled_back_by", sa.String(length=80), nullable=True))

    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))

    op.create_table(
        "report_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.ForeignKeyConstraint(["superseded_by"], ["import_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_history_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_history_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_history_superseded_by"), ["superseded_by"], unique=False)

    op.create_table(
        "import_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_rejection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_rejection_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "import_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=16), nullable=True),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )


def downgrade():
    op.drop_table("import_profile")
    with op.batch_alter_table("import_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_rejection_batch_id"))
    op.drop_table("import_rejection")
    with op.batch_alter_table("report_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_history_superseded_by"))
        batch_op.drop_index(batch_op.f("ix_report_history_report_id"))
        batch_op.drop_index(batch_op.f("ix_report_history_batch_id"))
    op.drop_table("report_history")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("content_hash")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_column("rolled_back_by")
        batch_op.drop_column("rolled_back_at")
        batch_op.drop_column("profile")
        batch_op.drop_column("agency")
        batch_op.drop_column("unchanged")
