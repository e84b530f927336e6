"""The running stores of one process: ops engine, session factory and lake, built from settings.

The API app, the CLI and tests each build one :class:`Stores`; nothing reads globals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybrain.config import Settings, get_settings
from citybrain.store import migrate
from citybrain.store.lake import DuckDBLake, open_lake
from citybrain.store.ops import create_engine, make_session_factory, ping, session_scope


@dataclass
class Stores:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    lake: DuckDBLake = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Stores:
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.effective_ops_db_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            lake=open_lake(settings.lake_engine, settings.effective_lake_path),
        )

    def migrate(self) -> None:
        ping(self.engine)  # a clear StoreUnavailable beats a migration traceback
        migrate.upgrade(self.engine)

    def close(self) -> None:
        self.lake.close()
        self.engine.dispose()


@contextmanager
def open_stores(settings: Settings | None = None) -> Iterator[Stores]:
    """The stores of one CLI command: migrated on entry, closed on exit."""
    stores = Stores.from_settings(settings or get_settings())
    try:
        stores.migrate()
        yield stores
    finally:
        stores.close()


@contextmanager
def open_session(settings: Settings | None = None) -> Iterator[Session]:
    """One unit of work on freshly opened stores, for CLI commands that need only the ops DB."""
    with open_stores(settings) as stores, session_scope(stores.sessions) as session:
        yield session
