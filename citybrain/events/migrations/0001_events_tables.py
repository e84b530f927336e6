"""events: areas, places, categories, cases, reports, steps, rejects, daily metrics

Revision ID: events_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events_area",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("parent_code", sa.String(32), nullable=True),
        sa.Column("district_code", sa.String(32), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_events_area"),
    )
    op.create_index("ix_events_area_level", "events_area", ["level"])
    op.create_index("ix_events_area_parent_code", "events_area", ["parent_code"])
    op.create_table(
        "events_place",
        sa.Column("building_id", sa.String(32), nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("building_id", name="pk_events_place"),
    )
    op.create_index("ix_events_place_address", "events_place", ["address"])
    op.create_table(
        "events_category",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("major_code", sa.String(8), nullable=False),
        sa.Column("major_name", sa.String(64), nullable=False),
        sa.Column("minor_code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("sla_dispatch_h", sa.Float(), nullable=False),
        sa.Column("sla_handle_h", sa.Float(), nullable=False),
        sa.Column("sla_verify_h", sa.Float(), nullable=False),
        sa.Column("filing_criteria", sa.Text(), nullable=False),
        sa.Column("dedupe_radius_m", sa.Float(), nullable=False),
        sa.Column("dedupe_window_h", sa.Float(), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=False),
        sa.Column("auto_dispatch_sources", sa.JSON(), nullable=False),
        sa.Column("auto_verify", sa.Boolean(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_events_category"),
    )
    op.create_table(
        "events_case",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("community_code", sa.String(32), nullable=False),
        sa.Column("street_code", sa.String(32), nullable=False),
        sa.Column("district_code", sa.String(32), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.Column("rework_count", sa.Integer(), nullable=False),
        sa.Column("extension_count", sa.Integer(), nullable=False),
        sa.Column("escalation_count", sa.Integer(), nullable=False),
        sa.Column("auto_verify", sa.Boolean(), nullable=False),
        sa.Column("source_cleared", sa.Boolean(), nullable=False),
        sa.Column("resume_state", sa.String(16), nullable=True),
        sa.Column("suspended_at", TZ, nullable=True),
        sa.Column("reported_at", TZ, nullable=False),
        sa.Column("last_report_at", TZ, nullable=False),
        sa.Column("filed_at", TZ, nullable=True),
        sa.Column("dispatched_at", TZ, nullable=True),
        sa.Column("handling_at", TZ, nullable=True),
        sa.Column("feedback_at", TZ, nullable=True),
        sa.Column("verified_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("due_dispatch_at", TZ, nullable=True),
        sa.Column("due_handle_at", TZ, nullable=True),
        sa.Column("due_verify_at", TZ, nullable=True),
        sa.Column("closed_on_time", sa.Boolean(), nullable=True),
        sa.Column("secs_to_file", sa.Integer(), nullable=True),
        sa.Column("secs_to_dispatch", sa.Integer(), nullable=True),
        sa.Column("secs_to_handle", sa.Integer(), nullable=True),
        sa.Column("secs_to_verify", sa.Integer(), nullable=True),
        sa.Column("secs_to_close", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["events_category.code"],
            name="fk_events_case_category_code_events_category",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events_case"),
    )
    op.create_index("ix_events_case_source", "events_case", ["source"])
    op.create_index("ix_events_case_grid_code", "events_case", ["grid_code"])
    op.create_index("ix_events_case_district_code", "events_case", ["district_code"])
    op.create_index("ix_events_case_department_code", "events_case", ["department_code"])
    op.create_index("ix_events_case_reported_at", "events_case", ["reported_at"])
    op.create_index("ix_events_case_state_category", "events_case", ["state", "category_code"])
    op.create_index(
        "ix_events_case_open_dedupe",
        "events_case",
        ["category_code", "is_open", "last_report_at"],
    )
    op.create_table(
        "events_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("category_code", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("grid_code", sa.String(32), nullable=False),
        sa.Column("located_by", sa.String(16), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reporter", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(128), nullable=False),
        sa.Column("reported_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("cleared_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["events_case.id"],
            name="fk_events_report_case_id_events_case",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events_report"),
        sa.UniqueConstraint("source", "source_ref", name="uq_events_report_source_ref"),
    )
    op.create_index("ix_events_report_case_id", "events_report", ["case_id"])
    op.create_table(
        "events_step",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approver", sa.String(64), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["events_case.id"],
            name="fk_events_step_case_id_events_case",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_events_step"),
    )
    op.create_index("ix_events_step_case_id", "events_step", ["case_id"])
    op.create_table(
        "events_rejected",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(64), nullable=False),
        sa.Column("error_code", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events_rejected"),
    )
    op.create_index("ix_events_rejected_error_code", "events_rejected", ["error_code"])
    op.create_table(
        "events_daily_metric",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_code", sa.String(32), nullable=False),
        sa.Column("filed", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("closed_on_time", sa.Integer(), nullable=False),
        sa.Column("reworked", sa.Integer(), nullable=False),
        sa.Column("extended", sa.Integer(), nullable=False),
        sa.Column("close_rate", sa.Float(), nullable=False),
        sa.Column("on_time_rate", sa.Float(), nullable=False),
        sa.Column("rework_rate", sa.Float(), nullable=False),
        sa.Column("extension_rate", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "scope", "scope_code", name="pk_events_daily_metric"),
    )


def downgrade() -> None:
    op.drop_table("events_daily_metric")
    op.drop_index("ix_events_rejected_error_code", table_name="events_rejected")
    op.drop_table("events_rejected")
    op.drop_index("ix_events_step_case_id", table_name="events_step")
    op.drop_table("events_step")
    op.drop_index("ix_events_report_case_id", table_name="events_report")
    op.drop_table("events_report")
    for name in (
        "ix_events_case_open_dedupe",
        "ix_events_case_state_category",
        "ix_events_case_reported_at",
        "ix_events_case_department_code",
        "ix_events_case_district_code",
        "ix_events_case_grid_code",
        "ix_events_case_source",
    ):
        op.drop_index(name, table_name="events_case")
    op.drop_table("events_case")
    op.drop_table("events_category")
    op.drop_index("ix_events_place_address", table_name="events_place")
    op.drop_table("events_place")
    op.drop_index("ix_events_area_parent_code", table_name="events_area")
    op.drop_index("ix_events_area_level", table_name="events_area")
    op.drop_table("events_area")
