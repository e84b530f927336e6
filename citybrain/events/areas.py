"""Districts, streets, communities and grid cells: loading, the cached index, responsibility."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import shapely
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from citybrain.events.errors import AreaNotFound, BadCatalogue, NoGrids
from citybrain.events.grids import Gazetteer, GridIndex
from citybrain.events.models import Area, Place

LEVELS = ("grid", "community", "street", "district")
Progress = Callable[[str, float], None]


@dataclass
class GridSet:
    """The grid index plus each grid's parents, as arrays aligned with ``index.codes``."""

    index: GridIndex
    row: dict[str, int]
    community: np.ndarray
    street: np.ndarray
    district: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


_cache_lock = threading.Lock()
_grid_cache: dict[str, tuple[tuple[int, int], GridSet]] = {}
_gazetteer_cache: dict[str, tuple[tuple[int, int], Gazetteer]] = {}


def _read_layer(path: Path) -> list[dict]:
    try:
        data = orjson.loads(path.read_bytes())
        return list(data["features"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as e:
        raise BadCatalogue(
            f"cannot read GeoJSON layer {path.name}: {type(e).__name__}",
            f"无法读取 GeoJSON 图层 {path.name}",
        ) from e


def load_city(session: Session, city_dir: Path, progress: Progress | None = None) -> dict[str, int]:
    """Replace the areas and the gazetteer with a city's ``geo/*.geojson`` (the simulator's
    layout: districts, streets, communities, grids, buildings). Cases keep their codes."""
    geo = Path(city_dir) / "geo"
    if not (geo / "grids.geojson").exists():
        raise BadCatalogue(
            f"{geo / 'grids.geojson'} not found: not a city directory",
            f"未找到 {geo / 'grids.geojson'}:不是城市数据目录",
        )
    rows: list[dict] = []
    counts: dict[str, int] = {}
    street_of_community: dict[str, str] = {}
    layers = (
        ("district", "districts.geojson", "code", None),
        ("street", "streets.geojson", "code", "district_code"),
        ("community", "communities.geojson", "code", "street_code"),
        ("grid", "grids.geojson", "grid_code", "community_code"),
    )
    for n, (level, name, key, parent_key) in enumerate(layers):
        if progress:
            progress(f"areas:{level}", n / 5)
        path = geo / name
        if not path.exists():
            counts[level] = 0
            continue
        features = _read_layer(path)
        geoms = shapely.from_geojson([orjson.dumps(f["geometry"]) for f in features])
        inner = shapely.get_coordinates(shapely.point_on_surface(geoms))
        for i, f in enumerate(features):
            props = f.get("properties") or {}
            code = str(props[key])
            parent = str(props[parent_key]) if parent_key and props.get(parent_key) else None
            if level == "community" and parent:
                street_of_community[code] = parent
            district = props.get("district_code") or (code[:6] if level != "district" else code)
            rows.append({
                "code": code, "level": level, "name": str(props.get("name", code)),
                "parent_code": parent, "district_code": str(district),
                "geometry": orjson.dumps(f["geometry"]).decode(),
                "lon": float(inner[i, 0]), "lat": float(inner[i, 1]),
                "worker": str(props.get("worker") or (
                    f"网格员-{code[-6:]}" if level == "grid" else "")),
            })  # fmt: skip
        counts[level] = len(features)
    if not counts.get("grid"):
        raise BadCatalogue("the city has no grid cells", "城市数据中没有网格")
    session.execute(delete(Area))
    for start in range(0, len(rows), 2000):
        session.execute(insert(Area), rows[start : start + 2000])
    if progress:
        progress("areas:buildings", 0.8)
    session.execute(delete(Place))
    buildings = geo / "buildings.geojson"
    counts["buildings"] = 0
    if buildings.exists():
        places = []
        for f in _read_layer(buildings):
            props = f.get("properties") or {}
            lon, lat = f["geometry"]["coordinates"][:2]
            places.append({
                "building_id": str(props["building_id"]), "address": str(props.get("address", "")),
                "grid_code": str(props.get("grid_code", "")), "lon": float(lon), "lat": float(lat),
            })  # fmt: skip
        for start in range(0, len(places), 5000):
            session.execute(insert(Place), places[start : start + 5000])
        counts["buildings"] = len(places)
    session.flush()
    with _cache_lock:
        _grid_cache.clear()
        _gazetteer_cache.clear()
    if progress:
        progress("areas:done", 1.0)
    return counts


def _key(session: Session) -> str:
    return str(session.get_bind().url)


def grid_set(session: Session) -> GridSet:
    """The process-wide grid index for this database, rebuilt when the grids change."""
    signature = tuple(
        session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(Area.geometry)), 0)).where(
                Area.level == "grid"
            )
        ).one()
    )
    key = _key(session)
    with _cache_lock:
        hit = _grid_cache.get(key)
    if hit and hit[0] == signature:
        return hit[1]
    if not signature[0]:
        raise NoGrids()
    areas = session.execute(
        select(Area.code, Area.level, Area.parent_code, Area.district_code, Area.geometry,
               Area.lon, Area.lat)
    ).all()  # fmt: skip
    parent = {a.code: a.parent_code for a in areas}
    grids = [a for a in areas if a.level == "grid"]
    codes = [g.code for g in grids]
    geoms = shapely.from_geojson([g.geometry for g in grids])
    community = np.array([g.parent_code or "" for g in grids], dtype=object)
    street = np.array([parent.get(c) or "" for c in community], dtype=object)
    built = GridSet(
        index=GridIndex(codes, geoms),
        row={c: i for i, c in enumerate(codes)},
        community=community,
        street=street,
        district=np.array([g.district_code or "" for g in grids], dtype=object),
        lon=np.array([g.lon for g in grids]),
        lat=np.array([g.lat for g in grids]),
    )
    with _cache_lock:
        _grid_cache[key] = (signature, built)  # type: ignore[assignment]
    return built


def gazetteer(session: Session) -> Gazetteer | None:
    signature = tuple(session.execute(select(func.count(), func.max(Place.building_id))).one())
    key = _key(session)
    with _cache_lock:
        hit = _gazetteer_cache.get(key)
    if hit and hit[0] == signature:
        return hit[1]
    if not signature[0]:
        return None
    rows = session.execute(
        select(Place.building_id, Place.address, Place.lon, Place.lat, Place.grid_code)
    ).all()
    built = Gazetteer.build(*zip(*rows, strict=True))
    with _cache_lock:
        _gazetteer_cache[key] = (signature, built)  # type: ignore[assignment]
    return built


def list_areas(session: Session, level: str | None = None, parent: str | None = None,
               limit: int = 1000, offset: int = 0) -> list[Area]:  # fmt: skip
    query = select(Area).order_by(Area.code).limit(limit).offset(offset)
    if level:
        query = query.where(Area.level == level)
    if parent:
        query = query.where(Area.parent_code == parent)
    return list(session.scalars(query))


def get_area(session: Session, code: str) -> Area:
    area = session.get(Area, code)
    if area is None:
        raise AreaNotFound(code)
    return area


def responsible(session: Session, grid_code: str) -> dict[str, Area | None]:
    """The responsibility chain of a grid: grid (its worker) → community → street → district."""
    grid = get_area(session, grid_code)
    if grid.level != "grid":
        raise AreaNotFound(grid_code)
    community = session.get(Area, grid.parent_code) if grid.parent_code else None
    street = (
        session.get(Area, community.parent_code) if community and community.parent_code else None
    )
    district = session.get(Area, grid.district_code) if grid.district_code else None
    return {"grid": grid, "community": community, "street": street, "district": district}


def lookup_points(session: Session, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Grid code of each point (None outside the city), vectorised."""
    return grid_set(session).index.lookup_codes(lon, lat)


def grids_geojson(session: Session, tolerance: float = 0.0) -> bytes:
    """The grid layer as one GeoJSON FeatureCollection for the console map."""
    rows = session.execute(
        select(Area.code, Area.name, Area.district_code, Area.geometry).where(Area.level == "grid")
    ).all()
    geometries = [r.geometry for r in rows]
    if tolerance > 0 and rows:
        simplified = shapely.simplify(shapely.from_geojson(geometries), tolerance)
        geometries = list(shapely.to_geojson(simplified))
    parts = [
        b'{"type":"Feature","properties":'
        + orjson.dumps({"name": r.code, "label": r.name, "district_code": r.district_code})
        + b',"geometry":'
        + g.encode()
        + b"}"
        for r, g in zip(rows, geometries, strict=True)
    ]
    return b'{"type":"FeatureCollection","features":[' + b",".join(parts) + b"]}"
