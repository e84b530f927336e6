"""Fusion logic: build the base registries (人口库, 法人库, 地址/楼栋库) and read them.

``build`` reads the department deliveries (the lake's raw zone, or a synthetic-city folder),
matches persons and companies (see :mod:`citybrain.fusion.matching`), keeps person and
company ids stable across runs through a crosswalk of profiles, writes golden records with
provenance, the person↔building and person↔company links, and 实有人口 counts per building,
grid, community and district into the lake's ``registry`` zone.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from citybrain import text_encoding
from citybrain.fusion import extract, features, golden, matching, residence
from citybrain.fusion.errors import EntityNotFound, FusionInputError, RegistryMissing
from citybrain.store.lake import qualified

log = logging.getLogger("citybrain.fusion")

ZONE = "registry"
#: fields of the lookups below that identify a person: whoever shows a lookup outside the
#: lake masks them (citybrain.privacy) unless a grant allows more
PERSONAL_FIELDS = ("id_number", "phone")
LEVELS = ("building", "grid", "community", "district")
Progress = Callable[[str], None]


def _exists(lake: Any, table: str) -> bool:
    return (ZONE, table) in set(lake.tables())


# --------------------------------------------------------------------------- geography


def read_geo(city_dir: Path) -> dict[str, pa.Table]:
    """Buildings with their grid, community and district (from the city's GeoJSON)."""
    geo = Path(city_dir) / "geo"
    if not (geo / "buildings.geojson").exists():
        raise FusionInputError(f"no building list in {geo}", f"{geo} 中没有楼栋清单")
    b = orjson.loads((geo / "buildings.geojson").read_bytes())["features"]
    g = orjson.loads((geo / "grids.geojson").read_bytes())["features"]
    grids = {f["properties"]["grid_code"]: f["properties"] for f in g}
    rows = []
    for f in b:
        p = f["properties"]
        grid = grids.get(p.get("grid_code"), {})
        lon, lat = f["geometry"]["coordinates"][:2]
        rows.append({"building_id": p["building_id"], "address": p.get("address"),
                     "grid_code": p.get("grid_code"), "community_code": grid.get("community_code"),
                     "district_code": grid.get("district_code"), "lon": lon, "lat": lat})
    d = orjson.loads((geo / "districts.geojson").read_bytes())["features"]
    districts = [{"code": f["properties"]["code"], "name": f["properties"]["name"]} for f in d]
    return {"buildings": pa.Table.from_pylist(rows),
            "districts": pa.Table.from_pylist(districts, schema=pa.schema(
                [("code", pa.string()), ("name", pa.string())]))}


# --------------------------------------------------------------------------- build


def build(
    lake: Any,
    city_dir: Path,
    *,
    source: str = "lake",
    rules_path: Path | None = None,
    full: bool = False,
    progress: Progress | None = None,
    db_api_factory: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Build or refresh the registries; returns the run summary.

    ``source``: ``lake`` (the raw zone loaded by ingest) or ``files`` (read the city folder).
    ``full``: forget earlier assignments (ids are still carried over by majority).
    """
    say = progress or (lambda msg: None)
    started = time.perf_counter()
    run_id = uuid.uuid4().hex[:12]
    rules = extract.load_rules(rules_path)
    if source == "lake":
        from citybrain.ingest import service as ingest

        read = extract.lake_reader(lake, ingest.raw_table_sql)
    elif source == "files":
        read = extract.city_reader(city_dir)
    else:
        raise FusionInputError(f"unknown source {source!r}", f"未知数据来源 {source!r}")
    from citybrain.standards import service as standards

    index = standards.building_index_from_city(Path(city_dir))
    geo = read_geo(city_dir)
    summary: dict[str, Any] = {"run_id": run_id, "source": source}
    for kind in ("person", "company"):
        say(f"{kind}: reading mentions / 读取{_zh(kind)}记录")
        # the mentions and their features are held only by the matcher's box, which lets
        # go of each as soon as the next step has it (a city has ~10M person mentions)
        box = [extract.mentions(rules, kind, read)]
        if box[0].num_rows == 0:
            raise FusionInputError(
                f"no {kind} records found in the {source}",
                f"在{'数据湖' if source == 'lake' else '城市目录'}中没有找到{_zh(kind)}记录",
            )
        say(f"{kind}: standardising {box[0].num_rows} records / 标准化")
        featurize = features.person_features if kind == "person" else features.company_features
        box.append(featurize(box.pop(), index))
        summary[kind] = _fuse(lake, kind, box, rules, run_id, full, say, db_api_factory, geo)
    say("links and residents / 关联与实有人口")
    summary.update(_links_and_residents(lake, rules, geo))
    summary["seconds"] = round(time.perf_counter() - started, 2)
    _record_run(lake, run_id, summary)
    return summary


def _zh(kind: str) -> str:
    return {"person": "人员", "company": "法人"}[kind]


def _fuse(lake: Any, kind: str, box: list[pa.Table], rules: extract.Rules, run_id: str,
          full: bool, say: Progress, db_api_factory: Callable[[], Any] | None,
          geo: dict[str, pa.Table]) -> dict[str, Any]:
    """Match the features in ``box`` (taken out of it, so they are freed once matched), give
    clusters their stable ids, and write mentions, crosswalk and golden records."""
    feats = box.pop()
    id_col = "person_id" if kind == "person" else "company_id"
    prefix = "P" if kind == "person" else "C"
    xref_t = f"{kind}_xref"
    old = (lake.query(f"SELECT profile_id, entity_id FROM {qualified(ZONE, xref_t)}")
           if _exists(lake, xref_t) else pa.table({"profile_id": pa.array([], pa.string()),
                                                    "entity_id": pa.array([], pa.string())}))
    new_profiles: set[str] | None = None
    if not full and old.num_rows:
        known = set(old.column("profile_id").to_pylist())
        new_profiles = {p for p in matching.profile_ids(feats, kind) if p not in known}
        if not new_profiles:
            say(f"{kind}: nothing changed / 无变化")
    say(f"{kind}: matching / 匹配")
    result = matching.match(feats, kind, new_profiles=new_profiles, db_api_factory=db_api_factory)
    del feats
    stats = result.stats
    con = duckdb.connect()
    try:
        # ids are decided per profile (a few per person) and taken to the mentions by
        # position: the wide mention table (9.5M rows at city scale) is never copied into
        # DuckDB, sorted or joined (that copy took the build's peak from 8 to 21 GB)
        profiles = result.profiles
        con.register("pcl", profiles.append_column("k", pa.array(np.arange(profiles.num_rows))))
        con.register("old", old)
        max_old = 0
        for (eid,) in con.execute("SELECT max(entity_id) FROM old").fetchall():
            max_old = int(eid[1:]) if eid else 0
        # sticky: an old profile keeps its entity; a cluster takes the majority old entity of
        # its old profiles; clusters with none get new ids in a deterministic order.
        ids = con.sql(f"""
          WITH pc AS (
            SELECT p.profile_id, p.cluster, old.entity_id AS old_id, p.k
            FROM pcl p LEFT JOIN old USING (profile_id)
          ), cl AS (
            SELECT cluster, mode(old_id) AS inherited, min(profile_id) AS first_profile
            FROM pc GROUP BY cluster
          ), cid AS (
            SELECT cluster, COALESCE(inherited, '{prefix}' || lpad(CAST({max_old} +
              row_number() OVER (PARTITION BY inherited IS NULL ORDER BY first_profile)
              AS VARCHAR), 9, '0')) AS cluster_id FROM cl
          )
          SELECT pc.profile_id, COALESCE(pc.old_id, cid.cluster_id) AS entity_id
          FROM pc JOIN cid USING (cluster) ORDER BY pc.k
        """).to_arrow_table()
        con.unregister("pcl")
        mentions = result.mentions.drop_columns(["cluster"])
        mentions = mentions.append_column(
            id_col, ids.column("entity_id").take(pa.array(result.profile_of)))
        mentions = mentions.append_column("fusion_run", pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(mentions.num_rows, np.int32)), pa.array([run_id])
        ).cast(pa.string()))
        del result
        con.register("mentions", mentions)
        con.register("ids", ids)
        xref = con.sql("""
          SELECT profile_id, entity_id FROM ids
          UNION SELECT profile_id, entity_id FROM old
            WHERE profile_id NOT IN (SELECT profile_id FROM ids)
        """).to_arrow_table()
        con.unregister("ids")
        unlinked = mentions.num_rows - mentions.column("unlinked_reason").null_count
        lake.write_arrow(ZONE, f"{kind}_mentions", mentions)
        records = golden.golden(con, mentions, kind, rules, id_col)
        if kind == "person":
            con.register("gold", records)
            res = golden.residency(con, "mentions", rules)
            con.register("res", res)
            home = residence.homes(con, "mentions", rules, geo["buildings"], geo["districts"])
            con.unregister("mentions")
            del mentions  # the golden record is all that is left to build
            con.register("home", home)
            records = con.sql("""
              SELECT gold.*, res.dead, res.death_date, res.moved_away, res.active,
                home.home_building_id, home.home_address, home.home_district, home.home_how
              FROM gold LEFT JOIN res USING (person_id) LEFT JOIN home USING (person_id)
              ORDER BY person_id
            """).to_arrow_table()
    finally:
        con.close()
    table = "persons" if kind == "person" else "companies"
    lake.write_arrow(ZONE, xref_t, xref)
    lake.write_arrow(ZONE, table, records)
    return {**stats, "entities": records.num_rows, "unlinked": unlinked,
            "new_profiles": len(new_profiles) if new_profiles is not None else None}


def _links_and_residents(lake: Any, rules: extract.Rules, geo: dict[str, pa.Table]
                         ) -> dict[str, Any]:
    lake.write_arrow(ZONE, "buildings_geo", geo["buildings"])
    pairs = [(link["dataset"], link["person"], link["company"], link["kind"])
             for link in rules.links]
    pairs_t = pa.table({"dataset": [p[0] for p in pairs], "prole": [p[1] for p in pairs],
                        "crole": [p[2] for p in pairs], "relation": [p[3] for p in pairs]})
    with lake.writer() as con:
        con.register("_link_rules", pairs_t)
        reg = ZONE
        con.execute(f"""
          CREATE OR REPLACE TABLE {reg}.person_company AS
          SELECT DISTINCT p.person_id, c.company_id, lr.relation
          FROM _link_rules lr
          JOIN {reg}.person_mentions p ON p.dataset = lr.dataset AND p.role = lr.prole
          JOIN {reg}.company_mentions c ON c.dataset = lr.dataset AND c.role = lr.crole
            AND c.row = p.row
          ORDER BY 1, 2, 3
        """)
        con.unregister("_link_rules")
        con.execute(f"""
          CREATE OR REPLACE TABLE {reg}.person_building AS
          SELECT p.person_id, p.home_building_id AS building_id, 'lives_in' AS relation,
            p.dead IS NOT TRUE AND p.moved_away IS NOT TRUE AND p.active IS TRUE AS resident
          FROM {reg}.persons p WHERE p.home_building_id IS NOT NULL ORDER BY 1
        """)
        con.execute(f"""
          CREATE OR REPLACE TABLE {reg}.buildings AS
          SELECT b.*, COALESCE(r.residents, 0) AS residents,
            COALESCE(c.companies, 0) AS companies
          FROM {reg}.buildings_geo b
          LEFT JOIN (SELECT building_id, count(*) AS residents FROM {reg}.person_building
                     WHERE resident GROUP BY 1) r USING (building_id)
          LEFT JOIN (SELECT address_building_id AS building_id, count(*) AS companies
                     FROM {reg}.companies GROUP BY 1) c USING (building_id)
          ORDER BY building_id
        """)
        con.execute(f"""
          CREATE OR REPLACE TABLE {reg}.residents_by_area AS
          SELECT 'building' AS level, building_id AS code, grid_code AS parent,
                 district_code AS district, residents FROM {reg}.buildings
          UNION ALL
          SELECT 'grid', grid_code, community_code, any_value(district_code), sum(residents)
            FROM {reg}.buildings GROUP BY grid_code, community_code
          UNION ALL
          SELECT 'community', community_code, district_code, district_code, sum(residents)
            FROM {reg}.buildings GROUP BY community_code, district_code
          UNION ALL
          -- districts also count residents located only to a district (school, clinic)
          SELECT 'district', d, NULL, d, sum(n) FROM (
            SELECT district_code AS d, residents AS n FROM {reg}.buildings
            UNION ALL
            SELECT home_district, 1 FROM {reg}.persons
            WHERE home_building_id IS NULL AND home_district IS NOT NULL
              AND dead IS NOT TRUE AND moved_away IS NOT TRUE AND active IS TRUE
          ) GROUP BY d
        """)
        total = con.execute(
            f"SELECT sum(residents) FROM {reg}.residents_by_area WHERE level = 'district'"
        ).fetchall()[0][0]
    return {"residents": int(total or 0)}


def _record_run(lake: Any, run_id: str, summary: dict[str, Any]) -> None:
    row = pa.table({"run_id": [run_id], "finished_at": [datetime.now(UTC)],
                    "summary": [orjson.dumps(summary, default=str).decode()]})
    lake.write_arrow(ZONE, "fusion_runs", row, mode="append")


# --------------------------------------------------------------------------- reads


def _require(lake: Any, table: str) -> None:
    if not _exists(lake, table):
        raise RegistryMissing()


def resident_counts(stores: Any, level: str = "district", district: str | None = None
                    ) -> dict[str, int]:
    """实有人口 per area: area code → residents. ``level`` is district|grid|community|building;
    ``district`` (a 6-digit code) limits finer levels to one district."""
    lake = getattr(stores, "lake", stores)
    if level not in LEVELS:
        raise FusionInputError(f"unknown level {level!r}", f"未知层级 {level!r}",
                               levels=list(LEVELS))
    _require(lake, "residents_by_area")
    sql = (f"SELECT code, residents FROM {qualified(ZONE, 'residents_by_area')} "
           "WHERE level = ? AND code IS NOT NULL")
    params: list[Any] = [level]
    if district:
        sql += " AND district = ?"
        params.append(district)
    t = lake.query(sql + " ORDER BY code", params)
    return dict(zip(t.column("code").to_pylist(),
                    (int(v or 0) for v in t.column("residents").to_pylist()), strict=True))


def _one(lake: Any, table: str, col: str, value: str) -> dict[str, Any] | None:
    t = lake.query(f"SELECT * FROM {qualified(ZONE, table)} WHERE {col} = ? LIMIT 1", [value])
    return t.to_pylist()[0] if t.num_rows else None


def get_person(lake: Any, person_id: str) -> dict[str, Any]:
    """Golden record, its source records and links of one person (见人知物)."""
    _require(lake, "persons")
    record = _one(lake, "persons", "person_id", person_id)
    if record is None:
        raise EntityNotFound("person", person_id)
    sources = lake.query(
        f"SELECT dataset, row, role, run, name, id_number, birth_date, sex, address, phone, "
        f"record_date, how, unlinked_reason FROM {qualified(ZONE, 'person_mentions')} "
        "WHERE person_id = ? ORDER BY dataset, row, role", [person_id]).to_pylist()
    companies = lake.query(
        f"SELECT pc.relation, c.company_id, c.name, c.uscc FROM "
        f"{qualified(ZONE, 'person_company')} pc JOIN {qualified(ZONE, 'companies')} c "
        "USING (company_id) WHERE pc.person_id = ? ORDER BY 1, 2", [person_id]).to_pylist()
    building = None
    home = record.get("home_building_id") or record.get("address_building_id")
    if home:
        building = _one(lake, "buildings", "building_id", home)
    return {"record": record, "sources": sources, "companies": companies, "building": building}


def find_person(lake: Any, id_number: str | None = None, name: str | None = None,
                limit: int = 20) -> list[dict[str, Any]]:
    """Persons by ID number (any form: 15 or 18 digits) or by name (simplified or not)."""
    _require(lake, "persons")
    if id_number:
        from citybrain.standards import service as standards

        checked = standards.validate_values("id_card", [id_number.strip()])[0]
        key = checked["normalized"] or id_number.strip().upper()
        sql, params = "id_number = ?", [key]
    elif name:
        sql, params = "name = ?", [features.simplify(name.strip())]
    else:
        raise FusionInputError("give an ID number or a name", "请提供身份证号或姓名")
    t = lake.query(
        f"SELECT person_id, name, id_number, sex, birth_date, address, dead, n_mentions "
        f"FROM {qualified(ZONE, 'persons')} WHERE {sql} ORDER BY person_id LIMIT ?",
        [*params, int(limit)])
    return t.to_pylist()


def get_company(lake: Any, key: str) -> dict[str, Any]:
    """A company by registry id or USCC, with its sources and people (见物知人)."""
    _require(lake, "companies")
    record = _one(lake, "companies", "company_id", key) or _one(
        lake, "companies", "uscc", key.strip().upper())
    if record is None:
        raise EntityNotFound("company", key)
    cid = record["company_id"]
    sources = lake.query(
        f"SELECT dataset, row, role, run, name, uscc, legal_rep, address, record_date, how "
        f"FROM {qualified(ZONE, 'company_mentions')} WHERE company_id = ? "
        "ORDER BY dataset, row", [cid]).to_pylist()
    people = lake.query(
        f"SELECT pc.relation, count(*) AS n, list(p.person_id ORDER BY p.person_id)[1:20] AS ids "
        f"FROM {qualified(ZONE, 'person_company')} pc JOIN {qualified(ZONE, 'persons')} p "
        "USING (person_id) WHERE pc.company_id = ? GROUP BY 1 ORDER BY 1", [cid]).to_pylist()
    return {"record": record, "sources": sources, "people": people}


def building_people(lake: Any, building_id: str) -> dict[str, Any]:
    """Who lives in a building (见物知人)."""
    _require(lake, "buildings")
    b = _one(lake, "buildings", "building_id", building_id)
    if b is None:
        raise EntityNotFound("building", building_id)
    people = lake.query(
        f"SELECT p.person_id, p.name, p.sex, p.birth_date, pb.resident FROM "
        f"{qualified(ZONE, 'person_building')} pb JOIN {qualified(ZONE, 'persons')} p "
        "USING (person_id) WHERE pb.building_id = ? ORDER BY p.person_id", [building_id]
    ).to_pylist()
    return {"building": b, "people": people}


def summary(lake: Any) -> dict[str, Any]:
    """Counts of the registries and the last run (for the console and the CLI)."""
    if not _exists(lake, "persons"):
        return {"built": False}
    reg = ZONE
    row = lake.query(f"""
      SELECT (SELECT count(*) FROM {reg}.persons) persons,
             (SELECT count(*) FROM {reg}.companies) companies,
             (SELECT count(*) FROM {reg}.buildings) buildings,
             (SELECT CAST(sum(residents) AS BIGINT) FROM {reg}.residents_by_area
                WHERE level = 'district')
               residents,
             (SELECT count(*) FROM {reg}.person_mentions WHERE unlinked_reason IS NOT NULL)
               unlinked
    """).to_pylist()[0]
    last = lake.query(f"SELECT run_id, finished_at, summary FROM {reg}.fusion_runs "
                      "ORDER BY finished_at DESC LIMIT 1").to_pylist()
    return {"built": True, **row, "last_run": last[0] if last else None}


# --------------------------------------------------------------------------- standalone

LINK_COLUMNS = {
    "person": ("record_id", "source", "name", "id_number", "birth_date", "sex", "address",
               "phone"),
    "company": ("record_id", "source", "name", "uscc", "legal_rep", "address"),
}


def link_table(table: pa.Table, kind: str,
               db_api_factory: Callable[[], Any] | None = None) -> pa.Table:
    """Link any table with the standard columns: ``record_id, cluster_id, unlinked_reason``."""
    if kind not in LINK_COLUMNS:
        raise FusionInputError(f"unknown kind {kind!r}", f"未知类型 {kind!r}")
    cols = LINK_COLUMNS[kind]
    missing = [c for c in ("record_id",) if c not in table.column_names]
    if missing:
        raise FusionInputError("the input needs a record_id column", "输入缺少 record_id 列")
    n = table.num_rows
    ids = table.column("record_id").cast(pa.string())
    empty = n - pc.sum(pc.greater(pc.utf8_length(pc.fill_null(ids, "")), 0)).as_py() if n else 0
    if empty:
        raise FusionInputError(
            f"record_id is empty on {empty} rows: every record needs its own id",
            f"{empty} 行的 record_id 为空: 每条记录都需要自己的编号",
        )
    if pc.count_distinct(ids).as_py() != n:
        counts = pc.value_counts(ids)
        repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
        shown = ", ".join(repr(v) for v in repeated.slice(0, 5).to_pylist())
        raise FusionInputError(
            f"record_id values must be unique: {len(repeated)} repeat ({shown}…)",
            f"record_id 必须唯一: {len(repeated)} 个重复 ({shown}…)",
        )
    rows = pa.array(np.arange(n, dtype=np.int64))
    data: dict[str, Any] = {
        "dataset": (table.column("source").cast(pa.string()) if "source" in table.column_names
                    else pa.repeat(pa.scalar("input"), n)),
        "row": rows,
        "role": pa.repeat(pa.scalar("subject"), n),
        "run": pa.repeat(pa.scalar("link"), n),
        "record_date": pa.nulls(n, pa.string()),
    }
    for f in extract.FIELDS[kind]:
        if f in cols and f in table.column_names:
            data[f] = table.column(f).cast(pa.string())
        else:
            data[f] = pa.nulls(n, pa.string())
    mentions = pa.table(data)
    feats = (features.person_features if kind == "person" else features.company_features)(
        mentions, None)
    res = matching.match(feats, kind, db_api_factory=db_api_factory, columns=["row"]).mentions
    # back into input order (``row`` numbers the input rows); a cluster is named after its
    # first input row, so the same input gives the same names
    order = np.empty(n, dtype=np.int64)
    order[res.column("row").to_numpy()] = np.arange(n)
    cluster = res.column("cluster").to_numpy()[order]
    first = np.full(int(cluster.max()) + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, cluster, np.arange(n))
    names = pc.utf8_lpad(pc.cast(pa.array(first[cluster] + 1), pa.string()), 8, "0")
    return pa.table({
        "record_id": ids,
        "cluster_id": pc.binary_join_element_wise("K", names, ""),
        "unlinked_reason": res.column("unlinked_reason").take(pa.array(order)),
    })


def _read_link_csv(path: Path, kind: str) -> pa.Table:
    """The CSV in UTF-8 (with or without BOM) or GB 18030 (⊇ GBK, GB 2312): what a
    department's spreadsheet exports (``text_encoding.sniff`` decides)."""
    encoding = text_encoding.sniff(path)
    if encoding is None:
        raise FusionInputError(f"{path.name} is neither UTF-8 nor GB 18030 text",
                               f"{path.name} 既不是 UTF-8 也不是 GB 18030 文本")
    # Arrow reads UTF-8 (and skips its BOM) natively; other encodings go through a codec
    native = encoding in ("utf-8", "utf-8-sig")
    return pacsv.read_csv(
        path, read_options=pacsv.ReadOptions(encoding="utf8" if native else encoding),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in LINK_COLUMNS.get(kind, ())},
            strings_can_be_null=True))


def link_file(path: Path, kind: str, out: Path) -> dict[str, int]:
    """Read a CSV (UTF-8 or GB 18030), link it, write ``record_id, cluster_id,
    unlinked_reason``."""
    try:
        table = _read_link_csv(path, kind)
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError) as e:
        raise FusionInputError(f"cannot read {path.name}: {e}", f"无法读取 {path.name}") from e
    result = link_table(table, kind)
    pacsv.write_csv(result, out)
    clusters = len(set(result.column("cluster_id").to_pylist()))
    return {"records": result.num_rows, "clusters": clusters,
            "unlinked": sum(1 for r in result.column("unlinked_reason").to_pylist() if r)}


def fingerprint(values: list[str]) -> str:
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]
