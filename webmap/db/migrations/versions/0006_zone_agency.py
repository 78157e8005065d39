"""operation zones owned by their creator's agency

Revision ID: 0006b
Revises: 0006 (0006_import_decisions, which the geo branch landed first)
"""

import sqlalchemy as sa
from alembic import op

revision = "0006b"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("zone") as batch:
        batch.add_column(sa.Column("agency", sa.String(length=16), nullable=True))
    # Zones drawn before: the agency of the user who drew them, when known.
    op.execute(
        "UPDATE zone SET agency = (SELECT app_user.agency FROM app_user WHERE app_user.username = zone.created_by)"
    )


def downgrade():
    with op.batch_alter_table("zone") as batch:
        batch.drop_column("agency")
