"""PostGIS point of each report (PostgreSQL only), shared rate limit counters

On PostgreSQL each report gets ``geom``, its Lambert-93 point as a PostGIS
``geometry(Point, 2154)`` generated from ``x_l93``/``y_l93`` (so no code
path can let them disagree), with a GiST index for spatial filters and
clustering in the database. SQLite has no spatial type: nothing of that changes there.

Both engines get ``rate_limit_counter``, the sign-in counters several server
processes share (``webmap.security.rate_limits``).

Revision ID: 0007
Revises: 0006b (0006_zone_agency)
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_rate_limit_counter_expires_at", "rate_limit_counter", ["expires_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        "ALTER TABLE report ADD COLUMN geom geometry(Point, 2154) "
        "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(x_l93, y_l93), 2154)) STORED"
    )
    op.execute("CREATE INDEX ix_report_geom ON report USING gist (geom)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_report_geom")
        op.execute("ALTER TABLE report DROP COLUMN geom")
    op.drop_index("ix_rate_limit_counter_expires_at", table_name="rate_limit_counter")
    op.drop_table("rate_limit_counter")
