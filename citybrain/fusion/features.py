"""Match features: what a mention looks like after the standards are applied, Chinese-aware.

Everything is computed once per *distinct* value (names, ID numbers, addresses repeat a lot)
and joined back set-wise in DuckDB:

* names: mojibake repaired (UTF-8 bytes read as GBK are re-read), traditional → simplified
  (OpenCC t2s), then pinyin: the toneless reading and the set of readings a name can have
  when some characters are heteronyms (多音字: 单 shan/dan, 曾 zeng/ceng). Homophone
  substitutions (王→汪) agree on pinyin.
* ID numbers: the standards normalisation (15 → 18 digits); a damaged number (wrong check
  character) keeps its 17 body digits, from which birth date and sex are still read.
* addresses: the standard-address parse and building match; the room key is building + unit
  + room.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from citybrain.standards import service as standards

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 "
    "夏侯 轩辕 令狐 钟离 端木 呼延".split()
)
_CJK_PATTERN = "^[\u3400-\u9fff·]+$"  # real characters: Arrow's RE2 has no \\u escapes
_CJK = re.compile(_CJK_PATTERN)
_UNIT_ROOM = re.compile(r"(?:(\d+)单元)?(?:(\d+)室?)?$")
MAX_READINGS = 16
_PREFIX = re.compile(  # 山东省青岛市 before a district or county-level city
    r"^(?:[\u4e00-\u9fff]{2,3}省)?[\u4e00-\u9fff]{2,3}市(?=[\u4e00-\u9fff]{2,3}[区市县])")


_T2S_LOCK = threading.Lock()  # one converter, used from the feature threads in turn


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    # long-lived threads: each keeps its standards connection (macros installed once, not
    # at every call: ~0.2 s each)
    return ThreadPoolExecutor(max_workers=3, thread_name_prefix="citybrain-features")


def _concurrently(**jobs: Callable[[], Any]) -> dict[str, Any]:
    """Run the per-column look-ups side by side: the DuckDB checks release the GIL while the
    address parse and OpenCC hold it, so on two cores they overlap (at 1M mentions 3.6 s of
    look-ups take 2.9 s)."""
    futures = {k: _pool().submit(f) for k, f in jobs.items()}
    return {k: f.result() for k, f in futures.items()}


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as GBK (乱码) when that gives clean Chinese; else return the text."""
    if _CJK.match(text):
        return text
    for enc in ("gbk", "gb18030"):
        try:
            fixed = text.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _CJK.match(fixed):
            return fixed
    return text


def simplify(text: str) -> str:
    with _T2S_LOCK:
        return _t2s().convert(text)


@lru_cache(maxsize=200_000)
def _char_readings(ch: str) -> tuple[str, ...]:
    from pypinyin import Style, pinyin

    readings = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")
    out = tuple(dict.fromkeys(readings[0])) if readings and readings[0] else (ch,)
    return out


def split_name(name: str) -> tuple[str, str]:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def name_features(raw: str) -> dict[str, Any]:
    """Clean simplified name, surname, primary pinyin and the set of possible readings."""
    return name_table(pa.array([raw], pa.string())).drop(["value"]).to_pylist()[0]


def simplify_many(texts: list[str]) -> list[str]:
    """Traditional → simplified for many values in one OpenCC call (a call costs ~1 µs)."""
    if any("\n" in t for t in texts):
        return [simplify(t) for t in texts]
    if not texts:
        return []
    with _T2S_LOCK:
        return _t2s().convert("\n".join(texts)).split("\n")


def _distinct(*columns: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The distinct non-empty strings of the columns (Arrow kernels, no Python set)."""
    chunks = [c.cast(pa.string()) for col in columns
              for c in (col.chunks if isinstance(col, pa.ChunkedArray) else [col])]
    values = pc.unique(pa.chunked_array(chunks, pa.string())).drop_null()
    return values.filter(pc.not_equal(values, ""))


_NAME_SCHEMA = pa.schema([("value", pa.string()), ("name_s", pa.string()),
                          ("surname", pa.string()), ("name_py", pa.string()),
                          ("name_pys", pa.list_(pa.string())), ("name_problem", pa.string())])


_NAME_SQL = f"""
WITH e AS (  -- one row per character (the middle dot of minority names has no reading)
  SELECT value, unnest(string_split(name_s, '')) AS ch,
         unnest(range(length(name_s))) AS pos FROM nm WHERE name_s IS NOT NULL
), g AS (
  SELECT value, list(r.readings ORDER BY e.pos) AS rs
  FROM e JOIN rd r USING (ch) GROUP BY value
)
SELECT nm.value, nm.name_s,
  CASE WHEN nm.name_s IS NOT NULL THEN
    CASE WHEN length(nm.name_s) >= 3 AND list_contains(?, left(nm.name_s, 2))
         THEN left(nm.name_s, 2) ELSE left(nm.name_s, 1) END END AS surname,
  CASE WHEN nm.name_s IS NOT NULL
       THEN coalesce(array_to_string(list_transform(g.rs, lambda r: r[1]), ' '), '') END
    AS name_py,
  -- the first {MAX_READINGS} combinations of readings (first character slowest), as a set
  CASE WHEN nm.name_s IS NOT NULL THEN coalesce(list_sort(list_distinct(list_reduce(
    g.rs, lambda acc, r: flatten(list_transform(
      acc[1:{MAX_READINGS}], lambda a: list_transform(r, lambda x: a || ' ' || x))))
  [1:{MAX_READINGS}])), ['']) END AS name_pys,
  CASE WHEN nm.name_s IS NULL THEN 'garbled' END AS name_problem
FROM nm LEFT JOIN g USING (value)
"""


def _cleaned(values: pa.Array) -> pa.Array:
    """Names without whitespace, mojibake repaired (only text that is not already clean CJK
    is tried), traditional → simplified in one OpenCC call."""
    texts = pc.replace_substring_regex(values, r"\s+", "")
    cjk = pc.match_substring_regex(texts, _CJK_PATTERN).to_pylist()
    fixed = [t if ok else repair_mojibake(t) for t, ok in zip(texts.to_pylist(), cjk,
                                                               strict=True)]
    return pa.array(simplify_many(fixed), pa.string())


def name_table(values: pa.Array) -> pa.Table:
    """``name_features`` of every value, set-wise: whitespace and the CJK test as Arrow
    kernels, OpenCC once over all names, pinyin once per distinct character (a city's names
    use a few hundred), the readings of each name combined in DuckDB. ``values``: distinct,
    not null (``_distinct``)."""
    simple = _cleaned(values)
    clean = pc.and_(pc.match_substring_regex(simple, _CJK_PATTERN),
                    pc.invert(pc.match_substring(simple, "?")))
    name_s = pc.if_else(clean, simple, pa.scalar(None, pa.string()))
    chars = sorted(set("".join(c for c in name_s.to_pylist() if c)) - {"·"})
    con = duckdb.connect()
    try:
        con.register("nm", pa.table({"value": values, "name_s": name_s}))
        con.register("rd", pa.table({
            "ch": pa.array(chars, pa.string()),
            "readings": pa.array([list(_char_readings(c)) for c in chars],
                                 pa.list_(pa.string()))}))
        out = con.sql(_NAME_SQL, params=[sorted(COMPOUND_SURNAMES)]).to_arrow_table()
    finally:
        con.close()
    return out.cast(_NAME_SCHEMA)


def _check(element: str, *columns: pa.ChunkedArray) -> pa.Table:
    checked = standards.check_values(element, _distinct(*columns))
    return checked.select(["value", "normalized", "reason"])


def _addresses(column: pa.ChunkedArray, index: Any | None) -> pa.Table:
    distinct = _distinct(column).to_pylist()
    schema = pa.schema([("value", pa.string()), ("addr_norm", pa.string()),
                        ("building_id", pa.string()), ("room_key", pa.string())])
    if not distinct:
        return schema.empty_table()
    if index is None:
        # no building list (standalone linking): the text before the unit/room stands in
        norms = pc.replace_substring_regex(pa.array(simplify_many(distinct), pa.string()),
                                           r"\s+", "")
        heads = pc.replace_substring_regex(norms, _UNIT_ROOM.pattern, "")
        heads = pc.if_else(pc.equal(heads, ""), norms, heads)
        return pa.table({"value": distinct, "addr_norm": norms, "building_id": heads,
                         "room_key": norms}, schema=schema)
    matched = standards.match_addresses(distinct, index).to_pylist()
    # fallback: the parser can mistake a road for the province when both are spelled out
    # (山东省青岛市胶州市山东南路…); without the province/city prefix the rest parses
    retry = {i: _PREFIX.sub("", m["value"]) for i, m in enumerate(matched)
             if not m["building_id"] and _PREFIX.match(m["value"])}
    if retry:
        again = standards.match_addresses(list(retry.values()), index).to_pylist()
        for i, m2 in zip(retry, again, strict=True):
            if m2["building_id"]:
                matched[i] = {**m2, "value": matched[i]["value"]}
    rows = []
    for m in matched:
        norm = m["normalized"] or ""
        bid = m["building_id"]
        room_key = None
        if bid:
            ur = _UNIT_ROOM.search(norm)
            unit, room = (ur.group(1), ur.group(2)) if ur else (None, None)
            room_key = f"{bid}|{unit or ''}|{room or ''}" if room else None
        rows.append({"value": m["value"], "addr_norm": norm, "building_id": bid,
                     "room_key": room_key})
    return pa.Table.from_pylist(rows, schema=schema)


SEX_SQL = (
    "CASE WHEN trim({c}) IN ('男', '1', 'M', 'm', '男性') THEN 'M' "
    "WHEN trim({c}) IN ('女', '2', 'F', 'f', '女性') THEN 'F' END"
)


def person_features(mentions: pa.Table, index: Any | None) -> pa.Table:
    """One row per mention with the match features (see module docstring)."""
    col = mentions.column
    looked_up = _concurrently(
        ids=lambda: _check("id_card", col("id_number")),
        ad=lambda: _addresses(col("address"), index),
        nm=lambda: name_table(_distinct(col("name"))),
        dt=lambda: _check("date", *(col(c) for c in
                                    ("birth_date", "record_date", "status_date", "death_date"))),
        ph=lambda: _check("phone", col("phone")),
    )
    con = duckdb.connect()
    try:
        con.register("m", mentions)
        for n, t in looked_up.items():
            con.register(n, t)
        sql = f"""
        WITH base AS (
          SELECT m.*, nm.name_s, nm.surname, nm.name_py, nm.name_pys, nm.name_problem,
            -- a legacy 15-digit number converts exactly: it anchors like a valid one
            CASE WHEN ids.reason IS NULL OR ids.reason = 'legacy_15' THEN ids.normalized END
              AS id_anchor,
            ids.reason AS id_reason,
            CASE WHEN ids.normalized IS NOT NULL THEN substr(ids.normalized, 1, 17)
                 WHEN regexp_full_match(upper(trim(m.id_number)), '[0-9]{{17}}[0-9X]')
                   THEN substr(trim(m.id_number), 1, 17) END AS id17,
            bd.normalized AS birth_field, bd.reason AS birth_reason,
            rd.normalized AS record_day, sd.normalized AS status_day, dd.normalized AS death_day,
            ph.normalized AS phone_n,
            ad.addr_norm, ad.building_id, ad.room_key,
            {SEX_SQL.format(c='m.sex')} AS sex_field
          FROM m
          LEFT JOIN nm ON nm.value = m.name
          LEFT JOIN ids ON ids.value = m.id_number
          LEFT JOIN dt bd ON bd.value = m.birth_date
          LEFT JOIN dt rd ON rd.value = m.record_date
          LEFT JOIN dt sd ON sd.value = m.status_date
          LEFT JOIN dt dd ON dd.value = m.death_date
          LEFT JOIN ph ON ph.value = m.phone
          LEFT JOIN ad ON ad.value = m.address
        ), withid AS (
          SELECT *,
            TRY_CAST(TRY_STRPTIME(substr(id17, 7, 8), '%Y%m%d') AS DATE) AS id_birth,
            CASE WHEN id17 IS NULL THEN NULL
                 WHEN TRY_CAST(substr(id17, 17, 1) AS INTEGER) % 2 = 1 THEN 'M' ELSE 'F' END
              AS id_sex
          FROM base
        )
        SELECT *,
          -- birth date and sex read from the ID body win (a damaged check digit leaves them)
          COALESCE(CAST(id_birth AS VARCHAR),
                   CASE WHEN birth_reason IS NULL THEN birth_field END) AS birth,
          COALESCE(CASE WHEN id_birth IS NOT NULL THEN id_sex END, sex_field) AS sex_eff
        FROM withid
        """
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def company_name_key(name: str) -> str:
    """Simplified, without spaces and brackets in either width."""
    return company_name_keys(pa.array([name], pa.string()))[0].as_py()


def company_name_keys(names: pa.Array) -> pa.Array:
    """``company_name_key`` of every name: the person-name cleaning, brackets half-width."""
    simple = _cleaned(names)
    return pc.replace_substring(pc.replace_substring(simple, "\uff08", "("), "\uff09", ")")


def company_features(mentions: pa.Table, index: Any | None) -> pa.Table:
    col = mentions.column

    def names() -> pa.Table:
        distinct = _distinct(col("name"))
        return pa.table({"value": distinct, "name_s": company_name_keys(distinct)})

    looked_up = _concurrently(
        us=lambda: _check("uscc", col("uscc")),
        ad=lambda: _addresses(col("address"), index),
        nm=names,
        rp=lambda: name_table(_distinct(col("legal_rep"))).select(["value", "name_s", "name_py"]),
        dt=lambda: _check("date", col("record_date"), col("status_date")),
        ph=lambda: _check("phone", col("phone")),
    )
    con = duckdb.connect()
    try:
        con.register("m", mentions)
        for n, t in looked_up.items():
            con.register(n, t)
        return con.sql("""
          SELECT m.*, nm.name_s, us.normalized AS uscc_anchor, us.reason AS uscc_reason,
            CASE WHEN us.normalized IS NOT NULL THEN substr(us.normalized, 1, 17)
                 WHEN length(trim(m.uscc)) = 18 THEN upper(substr(trim(m.uscc), 1, 17))
            END AS uscc17,
            rp.name_s AS rep_s, rp.name_py AS rep_py,
            rd.normalized AS record_day, sd.normalized AS status_day, ph.normalized AS phone_n,
            ad.addr_norm, ad.building_id, ad.room_key
          FROM m
          LEFT JOIN nm ON nm.value = m.name
          LEFT JOIN us ON us.value = m.uscc
          LEFT JOIN rp ON rp.value = m.legal_rep
          LEFT JOIN dt rd ON rd.value = m.record_date
          LEFT JOIN dt sd ON sd.value = m.status_date
          LEFT JOIN ph ON ph.value = m.phone
          LEFT JOIN ad ON ad.value = m.address
        """).to_arrow_table()
    finally:
        con.close()
