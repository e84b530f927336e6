"""org: districts and departments

Revision ID: org_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "org_0001"
down_revision = None
branch_labels = ("org",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_district",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_org_district"),
    )
    op.create_table(
        "org_department",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["org_district.code"],
            name="fk_org_department_district_code_org_district",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name="pk_org_department"),
    )
    op.create_index(
        "ix_org_department_district_code", "org_department", ["district_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_org_department_district_code", table_name="org_department")
    op.drop_table("org_department")
    op.drop_table("org_district")
