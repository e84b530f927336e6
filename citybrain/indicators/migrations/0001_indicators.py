"""indicators: value time series and checkups

Revision ID: indicators_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "indicators_0001"
down_revision = None
branch_labels = ("indicators",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicators_value",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(48), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("dim_value", sa.String(32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_indicators_value"),
        sa.UniqueConstraint("code", "period", "dim", "dim_value", name="uq_indicators_value_code"),
    )
    op.create_index("ix_indicators_value_code", "indicators_value", ["code"])
    op.create_index("ix_indicators_value_period", "indicators_value", ["period"])
    op.create_table(
        "indicators_checkup",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overall_score", sa.Float(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("html_path", sa.Text(), nullable=False),
        sa.Column("pdf_path", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_indicators_checkup"),
    )
    op.create_index("ix_indicators_checkup_period", "indicators_checkup", ["period"])


def downgrade() -> None:
    op.drop_index("ix_indicators_checkup_period", table_name="indicators_checkup")
    op.drop_table("indicators_checkup")
    op.drop_index("ix_indicators_value_period", table_name="indicators_value")
    op.drop_index("ix_indicators_value_code", table_name="indicators_value")
    op.drop_table("indicators_value")
