"""Standards logic: validate and normalise values by data element; parse and match addresses.

Plain functions over Arrow and DuckDB; the API, the CLI and the quality domain call these.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from citybrain import text_encoding
from citybrain.standards import address, elements, sql
from citybrain.standards.errors import StandardsInputError
from citybrain.store.lake import DuckDBLake

BATCH = 200_000


def list_elements() -> list[dict[str, str]]:
    return [
        {"code": e.code, "name_zh": e.name_zh, "name_en": e.name_en, "standard": e.standard}
        for e in elements.ELEMENTS.values()
    ]


def element_sql(element: str, expr: str) -> tuple[str, str]:
    """(reason SQL, normalised SQL) of ``element`` applied to the SQL expression ``expr``."""
    e = elements.get(element)
    return e.reason_sql(expr), e.norm_sql(expr)


def validate_values(element: str, values: list[str | None]) -> list[dict[str, object]]:
    """``{value, valid, normalized, reason}`` per value, in order."""
    return elements.check_array(element, values).to_pylist()


def check_values(element: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``value, valid, normalized, reason`` for an Arrow column, set-wise in DuckDB (no
    Python objects per value: what other domains use on many values)."""
    return elements.check_array(element, values)


def id_card_facts(value: str) -> dict[str, object]:
    return elements.id_card_facts(value)


def _lines(path: Path) -> Iterator[list[str]]:
    if not path.is_file():
        raise StandardsInputError(f"file not found: {path}", f"文件不存在:{path}")
    encoding = text_encoding.sniff(path)
    if encoding is None:
        raise StandardsInputError(
            f"{path.name} is neither UTF-8 nor GB 18030 text",
            f"{path.name} 既不是 UTF-8 也不是 GB 18030 文本",
        )
    try:
        with path.open("r", encoding=encoding, errors="strict") as f:
            batch: list[str] = []
            for line in f:
                batch.append(line.rstrip("\r\n"))
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch
    except UnicodeDecodeError as e:
        raise StandardsInputError(
            f"{path.name} changes encoding after its first megabyte (read as {encoding}; "
            f"a line holds bytes that do not decode)",
            f"{path.name} 在第一兆字节之后编码不一致(按 {encoding} 读取时有无法解码的字节)",
        ) from e


def validate_file(element: str, path: Path, out, progress=None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Read one value per line from ``path``; write one JSON object per line to ``out``.

    Works batch-wise (200k lines) through the SQL macros; returns counts.
    """
    elements.get(element)
    totals = {"values": 0, "valid": 0, "invalid": 0}
    for batch in _lines(path):
        values = [v if v != "" else None for v in batch]
        if element == "address":
            table = _address_results(values)
        else:
            table = elements.check_array(element, pa.array(values, pa.string()))
        for row in table.to_pylist():
            out.write(orjson.dumps(row).decode() + "\n")
        valid = sum(1 for v in table.column("valid").to_pylist() if v)
        totals["values"] += table.num_rows
        totals["valid"] += valid
        totals["invalid"] += table.num_rows - valid
        if progress is not None:
            progress(table.num_rows)
    return totals


def _address_results(values: list[str | None]) -> pa.Table:
    base = elements.check_array("address", pa.array(values, pa.string()))
    parsed = address.parse_many(values)
    norm = [p.normalized if p else None for p in parsed]
    return base.set_column(2, "normalized", pa.array(norm, pa.string()))


def parse_address(text: str) -> dict[str, str | None]:
    return address.parse(text).as_dict()


def building_index_from_city(city_dir: Path) -> address.BuildingIndex:
    path = city_dir / "geo" / "buildings.geojson"
    if not path.exists():
        raise StandardsInputError(
            f"no building list at {path}", f"未找到楼栋清单:{path}", path=str(path)
        )
    return address.BuildingIndex.from_geojson(str(path))


def match_addresses(values: list[str | None], index: address.BuildingIndex) -> pa.Table:
    return address.match_many(values, index)


def install_lake_macros(lake: DuckDBLake) -> bool:
    """Make the standards macros available in the lake (persistent, idempotent)."""
    with lake.writer() as con:
        return sql.install(con)


def element_codes() -> list[str]:
    return list(elements.ELEMENTS)


# -- compiled pre-screens (numba kernels over Arrow text; see standards.kernels). Imported on
# first use: numba takes a moment to load, and most commands never screen.


def screened_elements() -> frozenset[str]:
    """Elements whose validity a compiled kernel certifies."""
    return frozenset({"code", "name", "address", "id_card", "date", "date_any", "phone", "uscc",
                      "amount"})


def screen_blank(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    from citybrain.standards import kernels

    return kernels.blank(column)


def screen_element(element: str, column: pa.Array | pa.ChunkedArray, today: date
                   ) -> np.ndarray:
    from citybrain.standards import kernels

    return kernels.element(element, column, today)


def screen_id_card(column: pa.Array | pa.ChunkedArray, today: date
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from citybrain.standards import kernels

    return kernels.id_card(column, today)


def screen_date(column: pa.Array | pa.ChunkedArray, today: date, allow_future: bool = False,
                with_days: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from citybrain.standards import kernels

    return kernels.date(column, today, allow_future, with_days)


def screen_date_months(verdict: np.ndarray, column: pa.Array | pa.ChunkedArray, today: date,
                       allow_future: bool = False) -> np.ndarray:
    """A date check's verdict with the months the element accepts (202401) as OK."""
    from citybrain.standards import kernels

    return kernels.with_months(verdict, column, today, allow_future)


def screen_amount(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(verdict, value in fen where OK or BAD) of the amount element per value."""
    from citybrain.standards import kernels

    return kernels.amount(column)


def screen_sex_code(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    from citybrain.standards import kernels

    return kernels.sex_code(column)


def screen_in_set(column: pa.Array | pa.ChunkedArray, codes: list[str] | tuple[str, ...]
                  ) -> np.ndarray:
    from citybrain.standards import kernels

    return kernels.in_set(column, codes)


def screen_repeated(columns: list[pa.Array | pa.ChunkedArray]) -> np.ndarray:
    """Rows whose key (the values of ``columns``) may occur more than once."""
    from citybrain.standards import kernels

    return kernels.repeated(kernels.key_hash(columns))
