"""Point → grid lookup for whole batches, and the address gazetteer.

:class:`GridIndex` pre-indexes the grid polygons on a regular raster (the role an h3 pre-index
plays): a raster cell that no polygon boundary touches lies wholly inside one grid (or wholly
outside the city), so a point there is answered by one array read. Points in cells that a
boundary crosses — a few percent — get the exact answer from a shapely 2 STRtree query with an
``intersects`` predicate. Both paths take numpy arrays; no Python loop runs per point.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

OUTSIDE = -1
_AMBIGUOUS = -2
CELLS_PER_POLYGON = 600
MAX_CELLS = 2_000_000


class GridIndex:
    """Vectorised point-in-grid over polygons ``geoms`` named ``codes`` (row i ↔ polygon i)."""

    def __init__(self, codes: Sequence[str], geoms: Sequence[object]) -> None:
        self.codes = np.asarray(codes, dtype=object)
        self.geoms = np.asarray(geoms, dtype=object)
        if len(self.codes) == 0:
            raise ValueError("a grid index needs at least one polygon")
        self.tree = shapely.STRtree(self.geoms)
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        cells = min(MAX_CELLS, max(4096, CELLS_PER_POLYGON * len(self.codes)))
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        self.step = math.sqrt(width * height / cells)
        self.nx = int(width / self.step) + 2
        self.ny = int(height / self.step) + 2
        self.x0, self.y0 = minx, miny
        self.table = self._raster()

    def _cell(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ix = np.floor((x - self.x0) / self.step).astype(np.int64)
        iy = np.floor((y - self.y0) / self.step).astype(np.int64)
        return ix, iy

    def _raster(self) -> np.ndarray:
        """Label every raster cell with its polygon, or mark it ambiguous (boundary inside)."""
        table = np.full((self.ny, self.nx), OUTSIDE, dtype=np.int32)
        # Boundaries densified to half a cell: consecutive vertices then sit in the same or
        # neighbouring cells, so marking vertex cells (and both corner cells of a diagonal
        # step) marks every cell a boundary passes through.
        lines = shapely.segmentize(shapely.boundary(self.geoms), self.step / 2)
        xy = shapely.get_coordinates(lines)
        ix, iy = self._cell(xy[:, 0], xy[:, 1])
        ambiguous = np.zeros((self.ny, self.nx), dtype=bool)
        ambiguous[iy, ix] = True
        diagonal = (ix[1:] != ix[:-1]) & (iy[1:] != iy[:-1])
        diagonal &= (np.abs(ix[1:] - ix[:-1]) == 1) & (np.abs(iy[1:] - iy[:-1]) == 1)
        k = np.flatnonzero(diagonal)
        ambiguous[iy[k], ix[k + 1]] = True
        ambiguous[iy[k + 1], ix[k]] = True
        centres_x = self.x0 + (np.arange(self.nx) + 0.5) * self.step
        centres_y = self.y0 + (np.arange(self.ny) + 0.5) * self.step
        for i, geom in enumerate(self.geoms):
            gx0, gy0, gx1, gy1 = shapely.bounds(geom)
            (cx0, cx1), (cy0, cy1) = self._cell(np.array([gx0, gx1]), np.array([gy0, gy1]))
            sub_amb = ambiguous[cy0 : cy1 + 1, cx0 : cx1 + 1]
            gy, gx = np.nonzero(~sub_amb)
            if not len(gx):
                continue
            inside = shapely.contains_xy(geom, centres_x[cx0 + gx], centres_y[cy0 + gy])
            table[cy0 + gy[inside], cx0 + gx[inside]] = i
        table[ambiguous] = _AMBIGUOUS
        return table

    def lookup(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Polygon index of each point, ``OUTSIDE`` (-1) where no grid holds it or it is NaN."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        out = np.full(lon.shape, OUTSIDE, dtype=np.int64)
        finite = np.isfinite(lon) & np.isfinite(lat)
        ix, iy = self._cell(np.where(finite, lon, self.x0 - 1), np.where(finite, lat, self.y0 - 1))
        inside = finite & (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        pos = np.flatnonzero(inside)
        out[pos] = self.table[iy[pos], ix[pos]]
        exact = np.flatnonzero(out == _AMBIGUOUS)
        if len(exact):
            out[exact] = self.exact(lon[exact], lat[exact])
        return out

    def exact(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """The STRtree answer alone (also the benchmark's baseline); lowest index on a tie."""
        result = np.full(len(lon), OUTSIDE, dtype=np.int64)
        hits = self.tree.query(shapely.points(lon, lat), predicate="intersects")
        if hits.shape[1]:
            order = np.lexsort((hits[1], hits[0]))
            first = np.unique(hits[0][order], return_index=True)[1]
            result[hits[0][order][first]] = hits[1][order][first]
        return result

    def lookup_codes(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Grid code of each point, ``None`` outside the city."""
        idx = self.lookup(lon, lat)
        codes = np.full(len(idx), None, dtype=object)
        ok = idx >= 0
        codes[ok] = self.codes[idx[ok]]
        return codes

    @property
    def ambiguous_share(self) -> float:
        return float((self.table == _AMBIGUOUS).mean())


def normalise_address(text: str) -> str:
    """Full-width to half-width and no whitespace, so typed and stored addresses compare."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass
class Gazetteer:
    """Standard addresses of buildings → (building id, point, grid), exact or longest prefix."""

    by_address: dict[str, int]
    by_building: dict[str, int]
    lon: np.ndarray
    lat: np.ndarray
    grid: np.ndarray

    @classmethod
    def build(
        cls,
        building_ids: Sequence[str],
        addresses: Sequence[str],
        lon: Sequence[float],
        lat: Sequence[float],
        grid: Sequence[str],
    ) -> Gazetteer:
        by_address: dict[str, int] = {}
        for i, address in enumerate(addresses):
            by_address.setdefault(normalise_address(address), i)
        return cls(
            by_address=by_address,
            by_building={b: i for i, b in enumerate(building_ids)},
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            grid=np.asarray(grid, dtype=object),
        )

    def find(self, address: str | None = None, building_id: str | None = None) -> int | None:
        """Row of the building named by id or address (a longer address ending in a
        unit or room still finds its building), or None."""
        if building_id:
            hit = self.by_building.get(building_id)
            if hit is not None:
                return hit
        if not address:
            return None
        key = normalise_address(address)
        hit = self.by_address.get(key)
        if hit is not None:
            return hit
        for end in range(len(key) - 1, 5, -1):
            hit = self.by_address.get(key[:end])
            if hit is not None:
                return hit
        return None


def distance_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Equirectangular distance in metres: exact enough at the few-hundred-metre scale."""
    k = 111_320.0
    dx = (np.asarray(lon2) - np.asarray(lon1)) * k * np.cos(np.radians(np.asarray(lat1)))
    dy = (np.asarray(lat2) - np.asarray(lat1)) * k
    return np.hypot(dx, dy)
