"""Geography: coastline, districts → streets → communities → grid cells, roads, buildings.

Each level partitions its parent: Voronoi cells of seed points sampled inside the parent,
clipped to the parent. Seeds lie inside the parent, so no cell is empty, cells never overlap,
and together they cover the parent. Buildings are points sampled inside a slightly shrunk
grid cell so that rounding in the GeoJSON cannot move one across a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.geometry import LineString, MultiPoint, Polygon

from citybrain.simulate import pools
from citybrain.simulate.config import Scale

COORD_DECIMALS = 7
CENTER = (120.25, 36.35)


@dataclass
class Geography:
    """All geographic objects of the city as parallel arrays (row i = one object)."""

    land: Polygon
    districts: dict[str, np.ndarray]  # code, name, geom, share, urban
    streets: dict[str, np.ndarray]  # code(9), name, district_idx, geom
    communities: dict[str, np.ndarray]  # code(12), name, street_idx, geom
    grids: dict[str, np.ndarray]  # code(15), name, community_idx, district_idx, geom, weight
    roads: dict[str, np.ndarray]  # road_id, name, district_idx, geom
    buildings: dict[str, np.ndarray]  # building_id, grid_idx, lon, lat, road_idx, door, lou,
    #                                   floors, units, capacity, address


def _coastline(rng: np.random.Generator) -> Polygon:
    """A star-shaped land polygon with a ragged south-east sea coast and a bay."""
    theta = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    r = np.ones_like(theta)
    for k in (2, 3, 5, 8, 13):
        r += rng.uniform(0.01, 0.05) * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    x = CENTER[0] + 0.78 * r * np.cos(theta)
    y = CENTER[1] + 0.80 * r * np.sin(theta)
    land = Polygon(np.column_stack([x, y]))
    lon = np.linspace(120.22, 121.3, 60)
    lat = 36.035 + 0.012 * np.sin(lon * 40) + rng.uniform(-0.004, 0.004, lon.size)
    sea = Polygon(np.column_stack([np.r_[lon, 121.3, 120.22], np.r_[lat, 35.2, 35.2]]))
    bay = shapely.Point(120.24, 36.13).buffer(0.07)
    land = land.difference(sea).difference(bay)
    if land.geom_type != "Polygon":
        land = max(land.geoms, key=lambda g: g.area)
    return shapely.make_valid(land)


def _sample_inside(rng: np.random.Generator, geom, n: int) -> np.ndarray:
    """``n`` uniform points strictly inside ``geom`` (rejection sampling on its bbox)."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out: list[np.ndarray] = []
    got = 0
    batch = max(16, n * 3)
    for _ in range(10_000):
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(batch, 2))
        ok = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out.append(ok)
        got += len(ok)
        if got >= n:
            break
    pts = np.concatenate(out)[:n]
    if len(pts) < n:  # a sliver: fall back to points on its surface
        pts = np.vstack([pts, np.tile(shapely.get_coordinates(geom.point_on_surface()),
                                      (n - len(pts), 1))])
    return pts


def _partition(parent, seeds: np.ndarray) -> list:
    """Clip the Voronoi cells of ``seeds`` to ``parent``; cell i belongs to seed i."""
    if len(seeds) == 1:
        return [parent]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=parent, ordered=True)
    parts = shapely.intersection(np.asarray(cells.geoms), parent, grid_size=None)
    return [_polygonal(p) for p in parts]


def _polygonal(g):
    """Drop line or point debris an intersection can leave on shared edges."""
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    polys = [p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys)


def build_geography(rng: np.random.Generator, scale: Scale) -> Geography:
    """Generate the whole geography for one scale."""
    land = _coastline(rng)
    seeds = np.array([[d[2], d[3]] for d in pools.DISTRICTS])
    d_geoms = _partition(land, seeds)
    districts = {
        "code": np.array([d[0] for d in pools.DISTRICTS]),
        "name": np.array([d[1] for d in pools.DISTRICTS]),
        "geom": np.array(d_geoms, dtype=object),
        "share": np.array([d[4] for d in pools.DISTRICTS]) / sum(d[4] for d in pools.DISTRICTS),
        "urban": np.array([d[5] for d in pools.DISTRICTS]),
    }
    places = pools.place_names()
    st_rows: list[tuple] = []
    for di, dgeom in enumerate(d_geoms):
        n = scale.streets_per_district
        names = rng.choice(places, size=n, replace=False)
        suffix = "街道" if districts["urban"][di] or rng.random() < 0.4 else "镇"
        for si, g in enumerate(_partition(dgeom, _sample_inside(rng, dgeom, n))):
            st_rows.append((f"{districts['code'][di]}{si + 1:03d}", names[si] + suffix, di, g))
    streets = _columns(st_rows, ["code", "name", "district_idx", "geom"])
    cm_rows: list[tuple] = []
    for si, sgeom in enumerate(streets["geom"]):
        n = scale.communities_per_street
        names = rng.choice(places, size=n, replace=False)
        for ci, g in enumerate(_partition(sgeom, _sample_inside(rng, sgeom, n))):
            cm_rows.append((f"{streets['code'][si]}{ci + 1:03d}", names[ci] + "社区", si, g))
    communities = _columns(cm_rows, ["code", "name", "street_idx", "geom"])
    gr_rows: list[tuple] = []
    for ci, cgeom in enumerate(communities["geom"]):
        n = scale.grids_per_community
        di = streets["district_idx"][communities["street_idx"][ci]]
        for gi, g in enumerate(_partition(cgeom, _sample_inside(rng, cgeom, n))):
            gr_rows.append((f"{communities['code'][ci]}{gi + 1:03d}",
                            f"{communities['name'][ci]}第{gi + 1}网格", ci, di, g))
    grids = _columns(gr_rows, ["code", "name", "community_idx", "district_idx", "geom"])
    # Population weight of a grid: its district's share spread over its grids, lumpy.
    per_d = np.bincount(grids["district_idx"], minlength=len(d_geoms))
    lump = rng.lognormal(0.0, 0.6, size=len(gr_rows))
    w = districts["share"][grids["district_idx"]] / per_d[grids["district_idx"]] * lump
    grids["weight"] = w / w.sum()
    roads = _roads(rng, districts, scale)
    buildings = _buildings(rng, scale, districts, grids, roads)
    return Geography(land, districts, streets, communities, grids, roads, buildings)


def _columns(rows: list[tuple], names: list[str]) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for i, name in enumerate(names):
        vals = [r[i] for r in rows]
        cols[name] = np.array(vals, dtype=object if name == "geom" else None)
    return cols


def _roads(rng: np.random.Generator, districts: dict, scale: Scale) -> dict[str, np.ndarray]:
    """Named straight roads between random points of each district, clipped to it."""
    all_names = pools.road_names()
    n_d = len(districts["code"])
    total = n_d * scale.roads_per_district
    names = rng.choice(np.array(all_names), size=total, replace=total > len(all_names))
    rows = []
    for di, dgeom in enumerate(districts["geom"]):
        pts = _sample_inside(rng, dgeom, 2 * scale.roads_per_district)
        for k in range(scale.roads_per_district):
            a, b = pts[2 * k], pts[2 * k + 1]
            # stretch the segment so roads cross the district rather than float in it
            mid, half = (a + b) / 2, (b - a) * 1.5
            line = shapely.intersection(LineString([mid - half, mid + half]), dgeom)
            if line.is_empty or line.geom_type not in ("LineString", "MultiLineString"):
                line = LineString([a, b])
            i = di * scale.roads_per_district + k
            rows.append((f"R{i + 1:05d}", names[i], di, line))
    return _columns(rows, ["road_id", "name", "district_idx", "geom"])


def _buildings(rng: np.random.Generator, scale: Scale, districts: dict, grids: dict,
               roads: dict) -> dict[str, np.ndarray]:
    """Residential buildings as points, a fixed-size share of people per building."""
    n_b = max(len(grids["code"]), scale.people // scale.people_per_building)
    per_grid = rng.multinomial(n_b - len(grids["code"]), grids["weight"]) + 1
    xs, ys = [], []
    for gi, g in enumerate(grids["geom"]):
        inner = g.buffer(-2e-5)
        if inner.is_empty:
            inner = g
        pts = _sample_inside(rng, inner, int(per_grid[gi]))
        xs.append(pts[:, 0])
        ys.append(pts[:, 1])
    lon = np.round(np.concatenate(xs), COORD_DECIMALS)
    lat = np.round(np.concatenate(ys), COORD_DECIMALS)
    grid_idx = np.repeat(np.arange(len(grids["code"])), per_grid)
    n = len(lon)
    d_idx = grids["district_idx"][grid_idx]
    road_idx = np.empty(n, dtype=np.int64)
    pts = shapely.points(lon, lat)
    for di in range(len(districts["code"])):
        mask = d_idx == di
        r_idx = np.flatnonzero(roads["district_idx"] == di)
        tree = shapely.STRtree(roads["geom"][r_idx])
        hit = tree.query_nearest(pts[mask], all_matches=False)
        road_idx[mask] = r_idx[hit[1][np.argsort(hit[0])]]
    along = shapely.line_locate_point(roads["geom"][road_idx], pts)
    # door numbers in order along each road; four buildings share a compound (号), each 楼
    order = np.lexsort((along, road_idx))
    rank = np.empty(n, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(road_idx[order])) + 1]
    first = np.zeros(n, dtype=np.int64)
    first[starts] = starts
    first = np.maximum.accumulate(first)
    rank[order] = np.arange(n) - first
    door = 1 + 2 * (rank // 4) + (road_idx % 2)
    lou = rank % 4 + 1
    urban = districts["urban"][d_idx]
    floors = np.where(urban, rng.integers(6, 34, n), rng.integers(2, 12, n))
    units = rng.integers(1, 5, n)
    capacity = floors * units * 2
    dname = districts["name"][d_idx]
    rname = roads["name"][road_idx]
    address = np.char.add(np.char.add(np.char.add(np.char.add(np.char.add(
        dname.astype(str), rname.astype(str)), door.astype(str)), "号"), lou.astype(str)), "号楼")
    return {
        "building_id": np.char.add("B", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "grid_idx": grid_idx, "lon": lon, "lat": lat, "road_idx": road_idx, "door": door,
        "lou": lou, "floors": floors, "units": units, "capacity": capacity,
        "address": address,
    }



def _feature_collection(path: Path, name: str, geoms, props: list[dict]) -> None:
    """Write a GeoJSON FeatureCollection (WGS84, coordinates rounded for stable bytes)."""
    gj = shapely.to_geojson(np.asarray(geoms, dtype=object))
    with path.open("wb") as f:
        f.write(b'{"type":"FeatureCollection","name":' + orjson.dumps(name)
                + b',"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}'
                + b',"features":[\n')
        for i, (g, p) in enumerate(zip(gj, props, strict=True)):
            geom = orjson.loads(g)
            geom["coordinates"] = _round_coords(geom["coordinates"])
            f.write(orjson.dumps({"type": "Feature", "properties": p, "geometry": geom}))
            f.write(b",\n" if i < len(props) - 1 else b"\n")
        f.write(b"]}\n")


def _round_coords(c):
    if isinstance(c, float | int):
        return round(float(c), COORD_DECIMALS)
    return [_round_coords(x) for x in c]


def write_geography(geo: Geography, out: Path) -> dict[str, int]:
    """Write the six GeoJSON layers; returns feature counts per layer."""
    out.mkdir(parents=True, exist_ok=True)
    d, s, c, g, r, b = (geo.districts, geo.streets, geo.communities, geo.grids, geo.roads,
                        geo.buildings)
    _feature_collection(out / "districts.geojson", "districts", d["geom"], [
        {"code": d["code"][i], "name": d["name"][i], "urban": bool(d["urban"][i])}
        for i in range(len(d["code"]))])
    _feature_collection(out / "streets.geojson", "streets", s["geom"], [
        {"code": s["code"][i], "name": s["name"][i],
         "district_code": d["code"][s["district_idx"][i]]}
        for i in range(len(s["code"]))])
    _feature_collection(out / "communities.geojson", "communities", c["geom"], [
        {"code": c["code"][i], "name": c["name"][i], "street_code": s["code"][c["street_idx"][i]]}
        for i in range(len(c["code"]))])
    _feature_collection(out / "grids.geojson", "grids", g["geom"], [
        {"grid_code": g["code"][i], "name": g["name"][i],
         "community_code": c["code"][g["community_idx"][i]],
         "district_code": d["code"][g["district_idx"][i]]}
        for i in range(len(g["code"]))])
    _feature_collection(out / "roads.geojson", "roads", r["geom"], [
        {"road_id": r["road_id"][i], "name": r["name"][i],
         "district_code": d["code"][r["district_idx"][i]]}
        for i in range(len(r["road_id"]))])
    bpts = shapely.points(b["lon"], b["lat"])
    _feature_collection(out / "buildings.geojson", "buildings", bpts, [
        {"building_id": b["building_id"][i], "grid_code": g["code"][b["grid_idx"][i]],
         "road_id": r["road_id"][b["road_idx"][i]], "address": b["address"][i],
         "floors": int(b["floors"][i]), "units": int(b["units"][i])}
        for i in range(len(b["building_id"]))])
    return {"districts": len(d["code"]), "streets": len(s["code"]),
            "communities": len(c["code"]), "grids": len(g["code"]), "roads": len(r["road_id"]),
            "buildings": len(b["building_id"])}
