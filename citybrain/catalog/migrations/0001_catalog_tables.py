"""catalog: datasets, fields, versions, lineage

Revision ID: catalog_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_0001"
down_revision = None
branch_labels = ("catalog",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "catalog_dataset",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("title_en", sa.String(256), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("publisher", sa.String(64), nullable=False),
        sa.Column("publisher_name", sa.String(128), nullable=False),
        sa.Column("contact_name", sa.String(128), nullable=False),
        sa.Column("contact_email", sa.String(256), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("spatial", sa.String(128), nullable=False),
        sa.Column("temporal_start", sa.Date(), nullable=True),
        sa.Column("temporal_end", sa.Date(), nullable=True),
        sa.Column("update_cycle", sa.String(16), nullable=False),
        sa.Column("issued", TZ, nullable=True),
        sa.Column("modified", TZ, nullable=True),
        sa.Column("access_rights", sa.String(16), nullable=False),
        sa.Column("conforms_to", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("distributions", sa.JSON(), nullable=False),
        sa.Column("share_type", sa.String(16), nullable=False),
        sa.Column("share_basis", sa.Text(), nullable=False),
        sa.Column("open_type", sa.String(16), nullable=False),
        sa.Column("security_grade", sa.String(16), nullable=False),
        sa.Column("source_system", sa.String(128), nullable=False),
        sa.Column("primary_key", sa.JSON(), nullable=False),
        sa.Column("watermark_field", sa.String(128), nullable=True),
        sa.Column("record_count", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("theme_text", sa.String(256), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_dataset"),
    )
    op.create_index("ix_catalog_dataset_publisher", "catalog_dataset", ["publisher"])
    op.create_index("ix_catalog_dataset_share_type", "catalog_dataset", ["share_type"])
    op.create_index("ix_catalog_dataset_security_grade", "catalog_dataset", ["security_grade"])
    op.create_table(
        "catalog_field",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("label_zh", sa.String(128), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("data_element", sa.String(32), nullable=False),
        sa.Column("sensitivity", sa.String(16), nullable=False),
        sa.Column("security_grade", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name="fk_catalog_field_dataset_id_catalog_dataset",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_field"),
        sa.UniqueConstraint("dataset_id", "name", name="uq_catalog_field_name"),
    )
    op.create_index("ix_catalog_field_dataset_id", "catalog_field", ["dataset_id"])
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(256), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_version"),
        sa.UniqueConstraint("dataset_id", "version", name="uq_catalog_version_dataset_id"),
    )
    op.create_index("ix_catalog_version_dataset_id", "catalog_version", ["dataset_id"])
    op.create_table(
        "catalog_lineage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_layer", sa.String(16), nullable=False),
        sa.Column("source_dataset", sa.String(128), nullable=False),
        sa.Column("source_field", sa.String(128), nullable=False),
        sa.Column("target_layer", sa.String(16), nullable=False),
        sa.Column("target_dataset", sa.String(128), nullable=False),
        sa.Column("target_field", sa.String(128), nullable=False),
        sa.Column("transform", sa.String(256), nullable=False),
        sa.Column("recorded_by", sa.String(32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_lineage"),
        sa.UniqueConstraint(
            "source_layer",
            "source_dataset",
            "source_field",
            "target_layer",
            "target_dataset",
            "target_field",
            name="uq_catalog_lineage_edge",
        ),
    )
    op.create_index("ix_catalog_lineage_source_dataset", "catalog_lineage", ["source_dataset"])
    op.create_index("ix_catalog_lineage_target_dataset", "catalog_lineage", ["target_dataset"])


def downgrade() -> None:
    op.drop_index("ix_catalog_lineage_target_dataset", table_name="catalog_lineage")
    op.drop_index("ix_catalog_lineage_source_dataset", table_name="catalog_lineage")
    op.drop_table("catalog_lineage")
    op.drop_index("ix_catalog_version_dataset_id", table_name="catalog_version")
    op.drop_table("catalog_version")
    op.drop_index("ix_catalog_field_dataset_id", table_name="catalog_field")
    op.drop_table("catalog_field")
    op.drop_index("ix_catalog_dataset_security_grade", table_name="catalog_dataset")
    op.drop_index("ix_catalog_dataset_share_type", table_name="catalog_dataset")
    op.drop_index("ix_catalog_dataset_publisher", table_name="catalog_dataset")
    op.drop_table("catalog_dataset")
