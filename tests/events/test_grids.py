"""Point → grid lookup: the raster pre-index agrees with the exact STRtree answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPoint
from sqlalchemy.orm import Session

from citybrain.events import service
from citybrain.events.grids import OUTSIDE, Gazetteer, GridIndex, normalise_address
from tests.events.conftest import GRIDS, point_in


def _voronoi(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    land = shapely.Point(120.3, 36.3).buffer(0.3)
    seeds = rng.uniform((120.0, 36.0), (120.6, 36.6), size=(n, 2))
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=land, ordered=True)
    polys = shapely.intersection(np.asarray(cells.geoms), land)
    return polys[~shapely.is_empty(polys)]


@pytest.mark.parametrize("n,seed", [(5, 1), (60, 2), (400, 3)])
def test_raster_index_matches_exact_lookup(n: int, seed: int) -> None:
    polys = _voronoi(n, seed)
    index = GridIndex([str(i) for i in range(len(polys))], polys)
    rng = np.random.default_rng(seed)
    pts = rng.uniform((119.9, 35.9), (120.7, 36.7), size=(50_000, 2))
    # plus points right next to the boundaries, where the raster must defer to the tree
    edge = shapely.get_coordinates(shapely.segmentize(shapely.boundary(polys), 0.002))
    edge = edge + rng.normal(0, 1e-6, edge.shape)
    pts = np.vstack([pts, edge])
    fast = index.lookup(pts[:, 0], pts[:, 1])
    exact = index.exact(pts[:, 0], pts[:, 1])
    assert (fast == exact).all()
    assert (fast == OUTSIDE).any() and (fast >= 0).any()
    assert index.ambiguous_share < 0.5


def test_nan_and_far_points_are_outside() -> None:
    polys = _voronoi(10, 4)
    index = GridIndex([str(i) for i in range(len(polys))], polys)
    out = index.lookup(np.array([np.nan, 0.0, 180.0]), np.array([36.3, 0.0, np.nan]))
    assert out.tolist() == [OUTSIDE] * 3
    assert index.lookup_codes(np.array([120.3]), np.array([36.3]))[0] is not None


def test_gazetteer_exact_prefix_and_full_width() -> None:
    g = Gazetteer.build(["B1", "B2"], ["市南区香港中路10号1号楼", "市南区香港中路12号"],
                        [120.1, 120.2], [36.1, 36.2], ["G1", "G2"])  # fmt: skip
    assert g.find("市南区香港中路10号1号楼") == 0
    assert g.find("市南区 香港中路１０号１号楼 2单元301") == 0  # spaces, full-width, longer
    assert g.find(building_id="B2") == 1
    assert g.find("崂山区") is None
    assert normalise_address(" Ａ１ 号 ") == "A1号"


def test_load_city_and_responsibility(session: Session, square_city: Path) -> None:
    grids = service.list_areas(session, level="grid")
    assert [g.code for g in grids] == GRIDS
    x, y = point_in(3)
    assert service.lookup_points(session, np.array([x]), np.array([y]))[0] == GRIDS[3]
    chain = service.responsible(session, GRIDS[3])
    assert chain["community"].code == GRIDS[3][:12]
    assert chain["street"].code == "370202001"
    assert chain["district"].code == "370202"
    assert chain["grid"].worker.startswith("网格员")
    geojson = service.grids_geojson(session)
    assert geojson.count(b'"Feature"') == 4
