"""The running stores of one process: ops engine, session factory and lake, built from settings.

The API app, the CLI and tests each build one :class:`Stores`; nothing reads globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybrain.config import Settings
from citybrain.store import migrate
from citybrain.store.lake import DuckDBLake, open_lake
from citybrain.store.ops import create_engine, make_session_factory, ping


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
