"""Alembic migrations run programmatically: ``citybrain init`` and server start call these.

Each domain keeps its own branch of versions in ``citybrain/<domain>/migrations`` so domains can
be added without editing a shared chain; ``upgrade heads`` applies them all.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from citybrain.domains import migration_dirs


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("version_locations", " ".join(str(p) for p in migration_dirs()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring the schema to ``target`` (all domain heads by default); idempotent."""
    command.upgrade(alembic_config(engine), target)


def downgrade(engine: Engine, target: str = "base") -> None:
    command.downgrade(alembic_config(engine), target)


def current_heads(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
