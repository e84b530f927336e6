"""FastAPI dependency aliases shared by every domain router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from citybrain.store.lake import DuckDBLake
from citybrain.store.runtime import Stores


def get_stores(request: Request) -> Stores:
    return request.app.state.stores


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler returns without error."""
    session = request.app.state.stores.sessions()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def get_lake(request: Request) -> DuckDBLake:
    return request.app.state.stores.lake


StoresDep = Annotated[Stores, Depends(get_stores)]
SessionDep = Annotated[Session, Depends(get_session)]
LakeDep = Annotated[DuckDBLake, Depends(get_lake)]
