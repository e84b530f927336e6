"""Mentions: the rows of department deliveries that name a person or a company.

The rules file says which columns of which dataset mention whom; this module turns a
delivery (a table of text columns with its row numbers and load run) into a uniform mention
table. Two readers provide deliveries: the lake's raw zone (what ``ingest`` loaded, with its
``_cb_row`` / ``_cb_run`` provenance) and, for tests and standalone use, a synthetic-city
directory read file by file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from citybrain.fusion.errors import FusionConfigError, FusionInputError

PERSON_FIELDS = (
    "name",
    "id_number",
    "birth_date",
    "sex",
    "address",
    "phone",
    "status",
    "status_date",
    "death_date",
    "key",
    "household",
    "place",
)
COMPANY_FIELDS = ("name", "uscc", "legal_rep", "address", "phone", "status", "status_date", "key")
FIELDS = {"person": PERSON_FIELDS, "company": COMPANY_FIELDS}
KIND_SECTION = {"person": "persons", "company": "companies"}


@dataclass(frozen=True)
class MentionSpec:
    dataset: str
    role: str
    columns: dict[str, str]  # canonical field → source column
    constants: dict[str, str]  # canonical field → fixed value (e.g. sex of a mother)
    date: str | None


@dataclass
class Rules:
    """The parsed rules file (see rules.yaml)."""

    raw: dict[str, Any]
    mentions: dict[str, list[MentionSpec]] = field(default_factory=dict)

    def datasets(self, kind: str) -> list[str]:
        return sorted({m.dataset for m in self.mentions[kind]})

    def ranking(self, kind: str, attr: str) -> list[str]:
        return list(self.raw.get("survivorship", {}).get(kind, {}).get(attr, []))

    @property
    def links(self) -> list[dict[str, str]]:
        return list(self.raw.get("links", []))

    @property
    def residents(self) -> dict[str, Any]:
        return dict(self.raw.get("residents", {}))


DEFAULT_RULES = Path(__file__).with_name("rules.yaml")


def load_rules(path: Path | None = None) -> Rules:
    path = path or DEFAULT_RULES
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise FusionConfigError(f"cannot read rules {path}: {e}", f"无法读取融合规则 {path}") from e
    rules = Rules(raw=raw)
    for kind, section in KIND_SECTION.items():
        specs = []
        for dataset, entry in (raw.get(section) or {}).items():
            for m in entry.get("mentions", []):
                unknown = set(m) - set(FIELDS[kind]) - {"role", "sex_value"}
                if unknown:
                    raise FusionConfigError(
                        f"{dataset}: unknown mention fields {sorted(unknown)}",
                        f"{dataset}:未知的字段 {sorted(unknown)}",
                    )
                cols = {k: v for k, v in m.items() if k in FIELDS[kind]}
                consts = {"sex": m["sex_value"]} if "sex_value" in m else {}
                specs.append(MentionSpec(dataset, m["role"], cols, consts, entry.get("date")))
        rules.mentions[kind] = specs
    return rules


# --------------------------------------------------------------------------- readers

Reader = Callable[[str, list[str]], pa.Table | None]
"""(dataset id, source columns) → table of those columns as text + ``_row`` + ``_run``."""


def mentions(rules: Rules, kind: str, read: Reader) -> pa.Table:
    """All mentions of ``kind`` in the datasets ``read`` can provide (others are skipped)."""
    fields = FIELDS[kind]
    parts: list[pa.Table] = []
    by_dataset: dict[str, list[MentionSpec]] = {}
    for spec in rules.mentions[kind]:
        by_dataset.setdefault(spec.dataset, []).append(spec)
    for dataset, specs in sorted(by_dataset.items()):
        wanted = sorted(
            {c for s in specs for c in s.columns.values()} | {s.date for s in specs if s.date}
        )
        table = read(dataset, wanted)
        if table is None:
            continue
        n = table.num_rows
        for spec in specs:
            cols: dict[str, pa.Array] = {
                "dataset": pa.array([dataset] * n, pa.string()),
                "row": table.column("_row").cast(pa.int64()),
                "role": pa.array([spec.role] * n, pa.string()),
                "run": table.column("_run").cast(pa.string()),
                "record_date": _col(table, spec.date, n),
            }
            for f in fields:
                if f in spec.constants:
                    cols[f] = pa.array([spec.constants[f]] * n, pa.string())
                else:
                    cols[f] = _col(table, spec.columns.get(f), n)
            part = pa.table(cols)
            if spec.role != "subject":
                # a row's other party (an insured person's employer, a pupil's guardian)
                # exists only where the row names it: an empty employer is no employer, not a
                # company (1,577 insured people without one were one phantom company)
                part = part.filter(_names_something(part, [f for f in fields
                                                           if f in spec.columns]))
            parts.append(part)
    if not parts:
        return empty_mentions(kind)
    return pa.concat_tables(parts)


def empty_mentions(kind: str) -> pa.Table:
    names = ["dataset", "row", "role", "run", "record_date", *FIELDS[kind]]
    types = [pa.string(), pa.int64(), pa.string(), pa.string()] + [pa.string()] * (
        len(names) - 4
    )
    return pa.table({n: pa.array([], t) for n, t in zip(names, types, strict=True)})


def _names_something(part: pa.Table, fields: list[str]) -> pa.Array:
    """Rows where at least one of ``fields`` holds more than whitespace."""
    mask = pa.array([False] * part.num_rows)
    for f in fields:
        text = pc.utf8_trim_whitespace(part.column(f))
        mask = pc.or_(mask, pc.fill_null(pc.greater(pc.utf8_length(text), 0), False))
    return mask


def _col(table: pa.Table, name: str | None, n: int) -> pa.Array:
    if name is None or name not in table.column_names:
        return pa.nulls(n, pa.string())
    col = table.column(name)
    return col if col.type == pa.string() else col.cast(pa.string())


def lake_reader(lake: Any, table_of: Callable[[str], str]) -> Reader:
    """Read deliveries from the lake's raw zone (text columns, ``_cb_row``, ``_cb_run``).

    ``table_of``: dataset id → quoted table name (ingest's ``raw_table_sql``); a dataset not
    loaded yet is skipped.
    """
    import duckdb

    from citybrain.store.lake import quote_ident

    def read(dataset: str, columns: list[str]) -> pa.Table | None:
        table = table_of(dataset)
        try:
            have = set(lake.query(f"SELECT * FROM {table} LIMIT 0").column_names)
        except duckdb.CatalogException:
            return None
        select = [
            (f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" if c in have else
             f"CAST(NULL AS VARCHAR) AS {quote_ident(c)}")
            for c in columns
        ]
        sql = (
            f"SELECT {', '.join(select)}, CAST(_cb_row AS BIGINT) AS _row, "
            f"CAST(_cb_run AS VARCHAR) AS _run FROM {table} ORDER BY _cb_row"
        )
        return lake.query(sql)

    return read


def city_reader(city_dir: Path, run: str = "file") -> Reader:
    """Read deliveries straight from a synthetic-city directory (tests, standalone)."""
    manifest = _manifest(str(city_dir))
    datasets = {d["id"]: d for d in manifest["datasets"]}

    def read(dataset: str, columns: list[str]) -> pa.Table | None:
        d = datasets.get(dataset)
        if d is None:
            return None
        table = read_delivery(Path(city_dir) / d["path"], d)
        n = table.num_rows
        out = {c: _col(table, c, n) for c in columns}
        out["_row"] = pa.array(range(n), pa.int64())
        out["_run"] = pa.array([run] * n, pa.string())
        return pa.table(out)

    return read


@lru_cache(maxsize=4)
def _manifest(city_dir: str) -> dict[str, Any]:
    path = Path(city_dir) / "manifest.yaml"
    if not path.exists():
        raise FusionInputError(
            f"no manifest.yaml in {city_dir}", f"{city_dir} 中没有 manifest.yaml"
        )
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def read_delivery(path: Path, d: dict[str, Any]) -> pa.Table:
    """One delivered file as text columns in file order (row numbers = positions)."""
    fmt = d["format"]
    if fmt == "csv":
        enc = (d.get("encoding") or "utf-8").lower()
        with open(path, "rb") as f:
            header = f.readline().decode(enc).strip().lstrip("\ufeff")
        names = [h.strip('"') for h in header.split(",")]
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=enc),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True
            ),
        )
    if fmt in ("ndjson", "json"):
        text = path.read_text(encoding="utf-8")
        if fmt == "ndjson":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            doc = json.loads(text)
            rows = doc.get("data", []) if isinstance(doc, dict) else doc
        return _text_table(rows)
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        it: Iterator[tuple[Any, ...]] = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h) for h in next(it)]
        return _text_table([dict(zip(header, r, strict=False)) for r in it])
    if fmt == "sqlite":
        table = d.get("table") or d["id"].split(".", 1)[1]
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            cur = con.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
            cols = [c[0] for c in cur.description]
            return _text_table([dict(zip(cols, r, strict=True)) for r in cur])
        finally:
            con.close()
    raise FusionInputError(f"unsupported format {fmt}", f"不支持的格式 {fmt}")


def _text_table(rows: list[dict[str, Any]]) -> pa.Table:
    cols: dict[str, list[str | None]] = {}
    for i, r in enumerate(rows):
        for k in r:
            if k not in cols:
                cols[k] = [None] * i
        for k in cols:
            v = r.get(k)
            cols[k].append(None if v is None or v == "" else _text(v))
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})


def _text(v: Any) -> str:
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10] if getattr(v, "hour", 0) == 0 else v.isoformat()
    return str(v)
