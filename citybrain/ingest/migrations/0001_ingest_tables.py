"""ingest: load jobs and runs

Revision ID: ingest_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0001"
down_revision = None
branch_labels = ("ingest",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ingest_job",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("dataset_id", sa.String(128), nullable=False),
        sa.Column("connector", sa.String(16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("key_columns", sa.JSON(), nullable=False),
        sa.Column("watermark_column", sa.String(128), nullable=True),
        sa.Column("update_cycle", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_watermark", sa.String(64), nullable=True),
        sa.Column("last_run_id", sa.String(32), nullable=True),
        sa.Column("last_success_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_job"),
    )
    op.create_index("ix_ingest_job_dataset_id", "ingest_job", ["dataset_id"])
    op.create_table(
        "ingest_run",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("job_id", sa.String(128), nullable=False),
        sa.Column("dataset_id", sa.String(128), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger(), nullable=False),
        sa.Column("rows_quarantined", sa.BigInteger(), nullable=False),
        sa.Column("rows_unchanged", sa.BigInteger(), nullable=False),
        sa.Column("rows_deleted", sa.BigInteger(), nullable=False),
        sa.Column("source_fingerprint", sa.String(80), nullable=True),
        sa.Column("watermark_from", sa.String(64), nullable=True),
        sa.Column("watermark_to", sa.String(64), nullable=True),
        sa.Column("resumed_from", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_en", sa.Text(), nullable=True),
        sa.Column("error_zh", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ingest_job.id"],
            name="fk_ingest_run_job_id_ingest_job",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_run"),
    )
    op.create_index("ix_ingest_run_job_id", "ingest_run", ["job_id"])
    op.create_index("ix_ingest_run_dataset_id", "ingest_run", ["dataset_id"])
    op.create_index("ix_ingest_run_status", "ingest_run", ["status"])


def downgrade() -> None:
    op.drop_index("ix_ingest_run_status", table_name="ingest_run")
    op.drop_index("ix_ingest_run_dataset_id", table_name="ingest_run")
    op.drop_index("ix_ingest_run_job_id", table_name="ingest_run")
    op.drop_table("ingest_run")
    op.drop_index("ix_ingest_job_dataset_id", table_name="ingest_job")
    op.drop_table("ingest_job")
