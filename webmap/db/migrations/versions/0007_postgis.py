"""PostGIS point of each report (PostgreSQL only)

On PostgreSQL each report gets ``geom``, its Lambert-93 point as a PostGIS
``geometry(Point, 2154)`` generated from ``x_l93``/``y_l93`` (so no code
path can let them disagree), with a GiST index for spatial filters and
clustering in the database. SQLite has no spatial type: nothing changes there.

Revision ID: 0007
Revises: 0005 (the lead chains it after 0006_zone_agency at merge)
"""
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        "ALTER TABLE report ADD COLUMN geom geometry(Point, 2154) "
        "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(x_l93, y_l93), 2154)) STORED"
    )
    op.execute("CREATE INDEX ix_report_geom ON report USING gist (geom)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_report_geom")
    op.execute("ALTER TABLE report DROP COLUMN geom")
