"""hotspot names and the data version counter

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TRIGGERS = {
    "report_inserted": "AFTER INSERT ON report",
    "report_updated": "AFTER UPDATE ON report",
    "report_deleted": "AFTER DELETE ON report",
}


def upgrade():
    op.create_table(
        "hotspot_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("report_ids", sa.Text(), nullable=False),
        sa.Column("hull_wkt", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        # Once per statement, not per row: an import of 10,000 rows is one
        # change, and the row lock on the counter is taken once.
        op.execute(
            "CREATE FUNCTION crossmap_raise_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE data_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER report_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON report "
            "FOR EACH STATEMENT EXECUTE FUNCTION crossmap_raise_data_version()"
        )
        return
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN UPDATE data_version SET version = version + 1 WHERE id = 1; END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER report_changed ON report")
        op.execute("DROP FUNCTION crossmap_raise_data_version()")
    else:
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("data_version")
    op.drop_table("hotspot_name")
