"""Evaluate indicator definitions into values per city and district.

Lake sources become one aggregate query each with ``GROUPING SETS ((), (district))``, so the
city value and every district value come from a single scan. A source that is not there yet
(dataset not loaded, domain not installed) makes the indicator *unavailable* with the reason;
the other indicators still compute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb

from citybrain.errors import CityBrainError
from citybrain.indicators.definitions import (
    IndicatorDef,
    LakeSource,
    Library,
    Ratio,
    ServiceSource,
)
from citybrain.indicators.errors import SourceUnavailable
from citybrain.store.lake import QUERY_ERRORS, qualified, query_error_text, quote_ident
from citybrain.store.runtime import Stores

Key = tuple[str, str]  # (dim, dim_value): ("city", "") or ("district", "370202")
Values = dict[Key, float | None]
CITY: Key = ("city", "")


@dataclass
class Context:
    """What a computation may read: the stores, the period, and how to find tables."""

    stores: Stores
    period: date
    districts: dict[str, str]  # code → Chinese name
    resolve_table: Callable[[str], str]
    cache: dict[str, Values] = field(default_factory=dict)


@dataclass
class Result:
    code: str
    values: Values
    status: str = "ok"  # ok | unavailable | error
    note: str = ""


_DISTRICT_OF = re.compile(r"\{district_of:([^{}]+)\}")


def expand_macros(expression: str, district_names: list[str]) -> str:
    """``{district_of:col}``: the district whose name starts the address in ``col``.

    Departments write addresses as [province city] 区 + road + number; the district name (from
    the org registry) near the front is the most reliable area key such records carry.
    """

    def district_of(match: re.Match[str]) -> str:
        names = "|".join(re.escape(n) for n in sorted(district_names, key=len, reverse=True))
        # A province/city prefix may stand before the district: skip at most 12 characters.
        pattern = f"^.{{0,12}}?({names})".replace("'", "''")
        return f"nullif(regexp_extract({quote_ident(match.group(1).strip())}, '{pattern}', 1), '')"

    return _DISTRICT_OF.sub(district_of, expression)


def lake_query_sql(
    table_sql: str, source: LakeSource, by_district: bool, district_names: list[str] | None = None
) -> str:
    """The aggregate query of a lake source (pure: testable without a database)."""
    names = district_names or []
    value = expand_macros(source.value, names)
    where = f" WHERE {expand_macros(source.where, names)}" if source.where else ""
    if by_district and source.district:
        district = expand_macros(source.district, names)
        return (
            f"SELECT GROUPING(__district) = 1 AS is_city, __district AS district, "
            f"{value} AS value FROM (SELECT *, {district} AS __district "
            f"FROM {table_sql}{where}) GROUP BY GROUPING SETS ((), (__district))"
        )
    return f"SELECT TRUE AS is_city, NULL AS district, {value} AS value FROM {table_sql}{where}"


def resolve_default(name: str) -> str:
    """``schema.table`` → quoted; ``curated:<dataset>`` → the ingest service's table."""
    if name.startswith("curated:"):
        from citybrain.indicators.sources import domain_service

        ingest_service = domain_service("ingest")
        try:
            return ingest_service.curated_table_sql(name.removeprefix("curated:"))
        except CityBrainError as e:
            raise SourceUnavailable(e.message_en, e.message_zh) from e
    schema, _, table = name.partition(".")
    return qualified(schema, table)


def _eval_lake(source: LakeSource, ctx: Context, by_district: bool) -> Values:
    sql = lake_query_sql(
        ctx.resolve_table(source.table), source, by_district, list(ctx.districts.values())
    )
    try:
        rows = ctx.stores.lake.query(sql).to_pylist()
    except duckdb.CatalogException as e:
        raise SourceUnavailable(
            f"lake table for {source.table} not found", f"数据湖中未找到 {source.table} 对应的表"
        ) from e
    codes_by_name = {name: code for code, name in ctx.districts.items()}
    values: Values = {}
    for row in rows:
        value = None if row["value"] is None else float(row["value"])
        area = None if row["district"] is None else str(row["district"])
        if row["is_city"]:
            values[CITY] = value
        elif area in ctx.districts:
            values[("district", area)] = value
        elif area in codes_by_name:
            values[("district", codes_by_name[area])] = value
    return values


def _eval_service(source: ServiceSource, ctx: Context) -> Values:
    from citybrain.indicators.sources import SOURCES

    function = SOURCES.get(source.function)
    if function is None:
        raise SourceUnavailable(
            f"unknown source function {source.function}", f"未知的指标来源函数 {source.function}"
        )
    cache_key = f"{source.function}:{sorted(source.args.items())}"
    if cache_key not in ctx.cache:
        ctx.cache[cache_key] = function(ctx, **source.args)
    return ctx.cache[cache_key]


def _eval_source(source: LakeSource | ServiceSource, ctx: Context, by_district: bool) -> Values:
    if isinstance(source, LakeSource):
        return _eval_lake(source, ctx, by_district)
    values = _eval_service(source, ctx)
    return values if by_district else {k: v for k, v in values.items() if k == CITY}


def _divide(numerator: Values, denominator: Values, scale: float) -> Values:
    out: Values = {}
    for key, denom in denominator.items():
        num = numerator.get(key, 0.0 if key in denominator else None)
        out[key] = None if num is None or not denom else round(num / denom * scale, 6)
    return out


def evaluate(definition: IndicatorDef, ctx: Context) -> Result:
    by_district = "district" in definition.dimensions
    try:
        source = definition.source
        if isinstance(source, Ratio):
            values = _divide(
                _eval_source(source.numerator, ctx, by_district),
                _eval_source(source.denominator, ctx, by_district),
                source.scale,
            )
        else:
            values = _eval_source(source, ctx, by_district)
    except SourceUnavailable as e:
        return Result(definition.code, {}, "unavailable", e.message_en)
    except CityBrainError as e:
        return Result(definition.code, {}, "error", f"{type(e).__name__}: {str(e).splitlines()[0]}")
    except QUERY_ERRORS as e:  # one broken definition fails alone
        return Result(definition.code, {}, "error", f"{type(e).__name__}: {query_error_text(e)}")
    values.setdefault(CITY, None)
    return Result(definition.code, values)


def compute_library(
    library: Library, ctx: Context, progress: Callable[[str], None] | None = None
) -> list[Result]:
    results = []
    for definition in library.indicators:
        results.append(evaluate(definition, ctx))
        if progress:
            progress(definition.code)
    return results
