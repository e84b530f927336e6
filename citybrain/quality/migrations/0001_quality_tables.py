"""quality: scans, results, tickets, ticket events

Revision ID: quality_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "quality_0001"
down_revision = None
branch_labels = ("quality",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_scan",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("lake_table", sa.String(256), nullable=False),
        sa.Column("load_ref", sa.String(128), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("dimension_scores", sa.JSON(), nullable=False),
        sa.Column("field_scores", sa.JSON(), nullable=False),
        sa.Column("district_scores", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quality_scan"),
    )
    op.create_index("ix_quality_scan_dataset", "quality_scan", ["dataset"])
    op.create_index("ix_quality_scan_department", "quality_scan", ["department"])
    op.create_table(
        "quality_result",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("rule_key", sa.String(256), nullable=False),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["quality_scan.id"],
            name="fk_quality_result_scan_id_quality_scan",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quality_result"),
    )
    op.create_index("ix_quality_result_scan_id", "quality_result", ["scan_id"])
    op.create_table(
        "quality_ticket",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(128), nullable=False),
        sa.Column("rule_key", sa.String(256), nullable=False),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.Column("last_scan_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_quality_ticket"),
    )
    op.create_index("ix_quality_ticket_dataset", "quality_ticket", ["dataset"])
    op.create_index("ix_quality_ticket_department", "quality_ticket", ["department"])
    op.create_index("ix_quality_ticket_state", "quality_ticket", ["state"])
    op.create_table(
        "quality_ticket_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["quality_ticket.id"],
            name="fk_quality_ticket_event_ticket_id_quality_ticket",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quality_ticket_event"),
    )
    op.create_index("ix_quality_ticket_event_ticket_id", "quality_ticket_event", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_quality_ticket_event_ticket_id", table_name="quality_ticket_event")
    op.drop_table("quality_ticket_event")
    op.drop_index("ix_quality_ticket_state", table_name="quality_ticket")
    op.drop_index("ix_quality_ticket_department", table_name="quality_ticket")
    op.drop_index("ix_quality_ticket_dataset", table_name="quality_ticket")
    op.drop_table("quality_ticket")
    op.drop_index("ix_quality_result_scan_id", table_name="quality_result")
    op.drop_table("quality_result")
    op.drop_index("ix_quality_scan_department", table_name="quality_scan")
    op.drop_index("ix_quality_scan_dataset", table_name="quality_scan")
    op.drop_table("quality_scan")
