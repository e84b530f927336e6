"""Stores on a fresh data dir and a helper that declares a dataset and its load job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from citybrain.catalog import service as catalog
from citybrain.catalog.schemas import DatasetCreate
from citybrain.config import Settings
from citybrain.ingest import service
from citybrain.ingest.schemas import JobCreate
from citybrain.store.ops import session_scope
from citybrain.store.runtime import Stores


@pytest.fixture
def stores(settings: Settings) -> Iterator[Stores]:
    s = Stores.from_settings(settings)
    s.migrate()
    yield s
    s.close()


def declare(
    stores: Stores,
    dataset_id: str,
    connector: str,
    location: str | Path,
    fields: list[tuple[str, str]] | None = None,
    **job: Any,
) -> None:
    """A catalog entry with typed fields plus its load job."""
    with session_scope(stores.sessions) as s:
        if fields is not None:
            catalog.upsert_dataset(
                s,
                DatasetCreate(
                    id=dataset_id,
                    title=dataset_id,
                    publisher="bigdata",
                    share_type="unconditional",
                    fields=[{"name": n, "type": t} for n, t in fields],
                ),
            )
        service.create_job(
            s, JobCreate(id=dataset_id, connector=connector, location=str(location), **job)
        )


def rows(stores: Stores, zone: str, dataset_id: str, order: str = "_cb_row") -> list[dict]:
    t = dataset_id.replace(".", "__")
    return stores.lake.query(f'SELECT * FROM {zone}."{t}" ORDER BY {order}').to_pylist()
