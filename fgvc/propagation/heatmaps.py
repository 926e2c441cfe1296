"""Point <-> heatmap conversions on the feature grid.

Coordinates are continuous pixel positions in the frame raster: pixel ``i``
covers ``[i, i + 1)`` and its centre is ``i + 0.5``; a feature cell ``j`` at
stride ``s`` covers ``[j * s, (j + 1) * s)``. The authors' release works in
pixel indices instead (pixel i at i): its label grids (``CELL_POSITIONS``)
and read-out (:class:`Readout` with offset 0) are options here.
"""

import math
from typing import NamedTuple, Optional, Tuple

import torch

from .ranking import top_k

#: Maps upsampled whole at once where a peak window cannot be trusted (and,
#: in :mod:`.points`, raster-sized Gaussians drawn at once). It changes no
#: result (each map is read on its own); it bounds those maps to this many rasters.
WHOLE_MAPS_AT_ONCE = 8


class Readout(NamedTuple):
    """How a position is read from the pixels chosen on a map.

    ``offset`` is added to each pixel's raster index (0.5: its centre, pixel
    i covering ``[i, i + 1)``; 0: its index). ``empty``: the coordinate given
    to a map that is zero everywhere (None: the plain mean of its first
    pixels).
    """

    offset: float = 0.5
    empty: Optional[float] = None


PIXEL_CENTRES = Readout()


#: Raster position of feature cell j at stride s, per label grid (see :func:`gaussian_heatmaps`).
CELL_POSITIONS = {
    'cell_centre': lambda j, s: (j + 0.5) * s,
    'pixel_index': lambda j, s: j * s,
    'cell_centre_index': lambda j, s: (j + 0.5) * s - 0.5,
}
#: Radius, in sigmas, of the square a snapped label is cut to (the release's ``draw_label_map``).
SNAP_RADIUS_SIGMAS = 3


def _snapped_axis(
    cells: torch.Tensor, points: torch.Tensor, sigma: float, unit: float
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Squared distances ``[N, n]`` of cell positions ``cells`` ``[n]`` to the
    snapped points ``[N]`` of one axis, and where the cut square keeps them.

    In units of ``unit`` raster pixels, with radius ``r = 3 sigma / unit``, a
    point p is moved to ``trunc(p - r) + r`` and kept within
    ``[trunc(p - r), trunc(p + r + 1))``, as the release's ``draw_label_map``
    does on the grid it draws on.
    """
    radius = SNAP_RADIUS_SIGMAS * sigma / unit
    low = torch.trunc(points / unit - radius)
    high = torch.trunc(points / unit + radius + 1)
    centre = (low + radius) * unit
    inside = (cells[None] >= low[:, None] * unit) & (cells[None] < high[:, None] * unit)
    return (cells[None] - centre[:, None]) ** 2, inside


def gaussian_heatmaps(
    points_xy: torch.Tensor,
    grid_hw: Tuple[int, int],
    stride_xy: Tuple[float, float],
    sigma: float,
    grid: str = 'cell_centre',
    snap: Optional[str] = None,
) -> torch.Tensor:
    """Gaussian label maps ``[N, h, w]`` for points ``[N, 2]`` given as (x, y).

    Each map is ``exp(-|c - p|^2 / (2 sigma^2))`` evaluated at the raster
    position ``c`` of every feature cell j; ``sigma`` is in raster pixels.
    ``grid`` says where a cell is (``CELL_POSITIONS``), for stride s:

    * 'cell_centre' (default): its centre ``(j + 0.5) s``, points in
      pixel-centre coordinates (pixel i covers ``[i, i + 1)``);
    * 'pixel_index': ``j s``, the raster pixel the cell is sampled at (the
      authors' release on TAP-Vid: a Gaussian on the integer pixel grid
      subsampled ``[::s]``);
    * 'cell_centre_index': ``(j + 0.5) s - 0.5``, its centre in pixel-index
      coordinates (where a map drawn on the integer pixel grid is resized
      bilinearly to the feature grid, as the release's JHMDB data is).

    ``snap`` moves each point and cuts its Gaussian as the release's
    ``draw_label_map`` does (:func:`_snapped_axis`), on the grid it draws on:
    'pixel' (raster pixels: its JHMDB labels) or 'cell' (feature cells: its
    BADJA labels). Every grid but the default is computed in float64, as the
    release does, then cast to the points' dtype.
    """
    h, w = grid_hw
    device, dtype = points_xy.device, points_xy.dtype
    if grid == 'cell_centre' and snap is None:
        points = points_xy
        cx = (torch.arange(w, device=device, dtype=dtype) + 0.5) * stride_xy[0]
        cy = (torch.arange(h, device=device, dtype=dtype) + 0.5) * stride_xy[1]
        dx2 = (cx[None, :] - points[:, 0:1]) ** 2
        dy2 = (cy[None, :] - points[:, 1:2]) ** 2
        return torch.exp(-(dy2[:, :, None] + dx2[:, None, :]) / (2 * sigma**2))
    position = CELL_POSITIONS[grid]
    points = points_xy.double()
    cx = position(torch.arange(w, device=device, dtype=torch.float64), stride_xy[0])
    cy = position(torch.arange(h, device=device, dtype=torch.float64), stride_xy[1])
    if snap is None:
        dx2 = (cx[None, :] - points[:, 0:1]) ** 2
        dy2 = (cy[None, :] - points[:, 1:2]) ** 2
        return torch.exp(-(dy2[:, :, None] + dx2[:, None, :]) / (2 * sigma**2)).to(dtype)
    unit_xy = (1.0, 1.0) if snap == 'pixel' else stride_xy
    dx2, in_x = _snapped_axis(cx, points[:, 0], sigma, unit_xy[0])
    dy2, in_y = _snapped_axis(cy, points[:, 1], sigma, unit_xy[1])
    maps = torch.exp(-(dy2[:, :, None] + dx2[:, None, :]) / (2 * sigma**2))
    return (maps * (in_y[:, :, None] & in_x[:, None, :])).to(dtype)


def _weighted_mean_position(values: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``[N, 2]`` mean of positions ``x, y`` ``[N, k]`` weighted by (non-negative)
    ``values``, or their plain mean where those values are all zero."""
    weights = values.clamp_min(0)
    total = weights.sum(1, keepdim=True)
    weights = torch.where(
        total > 0,
        weights / total.clamp_min(torch.finfo(weights.dtype).tiny),
        torch.full_like(weights, 1.0 / weights.shape[1]),
    )
    return torch.stack([(weights * x).sum(1), (weights * y).sum(1)], dim=1)


class _Axis:
    """Bilinear upsampling of one axis from ``cells`` to ``pixels`` (align_corners=False).

    Pixel i reads cells ``low[i]`` and ``high[i]`` with weight ``frac[i]`` on
    ``high``; ``first[c]``/``last[c]`` are the first and last pixels reading cell
    c (``pixels``/-1 for a cell no pixel reads).
    """

    def __init__(self, cells: int, pixels: int, device):
        scale = cells / pixels
        src = (torch.arange(pixels, device=device, dtype=torch.float32) + 0.5) * scale - 0.5
        src = src.clamp_min(0)
        self.low = src.long()
        self.high = (self.low + 1).clamp_max(cells - 1)
        self.frac = src - self.low
        self.cells, self.pixels, self.scale = cells, pixels, scale
        pix = torch.arange(pixels, device=device).repeat(2)
        read = torch.cat([self.low, self.high])
        self.first = torch.full((cells,), pixels, device=device).scatter_reduce(
            0, read, pix, 'amin'
        )
        self.last = torch.full((cells,), -1, device=device).scatter_reduce(0, read, pix, 'amax')

    def window(self, peak: torch.Tensor, radius: int) -> torch.Tensor:
        """``[N, n]`` consecutive pixels around cells ``peak`` ``[N]``, inside the raster."""
        size = min(2 * math.ceil(radius / self.scale) + 1, self.pixels)
        centre = ((peak.float() + 0.5) / self.scale).long()
        start = (centre - size // 2).clamp(0, self.pixels - size)
        return start[:, None] + torch.arange(size, device=peak.device)

    def interior(self, window: torch.Tensor) -> torch.Tensor:
        """``[N, cells]`` bool: cells read only by pixels of ``window``."""
        return (self.first >= window[:, :1]) & (self.last <= window[:, -1:])


def _upsampled(
    heatmaps: torch.Tensor, ay: _Axis, ax: _Axis, rows: torch.Tensor, cols: torch.Tensor
) -> torch.Tensor:
    """Bilinearly upsampled values ``[N, r * c]`` of the raster pixels ``rows`` ``[N, r]``
    x ``cols`` ``[N, c]``: the same arithmetic for any window, so that equal
    pixels get bit-identical values wherever they are read."""
    w = heatmaps.shape[2]
    flat_maps = heatmaps.flatten(1)

    def read(cell_y: torch.Tensor, cell_x: torch.Tensor) -> torch.Tensor:
        flat = cell_y[:, :, None] * w + cell_x[:, None, :]
        return flat_maps.gather(1, flat.flatten(1)).view(flat.shape)

    fy, fx = ay.frac[rows][:, :, None], ax.frac[cols][:, None, :]
    low_y, high_y, low_x, high_x = ay.low[rows], ay.high[rows], ax.low[cols], ax.high[cols]
    up = (1 - fy) * ((1 - fx) * read(low_y, low_x) + fx * read(low_y, high_x)) + fy * (
        (1 - fx) * read(high_y, low_x) + fx * read(high_y, high_x)
    )
    return up.flatten(1)


def _read_position(
    up: torch.Tensor, keys: torch.Tensor, width: int, topk: int, readout: Readout
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Positions ``[N, 2]`` from upsampled values ``up`` ``[N, P]`` of the raster
    pixels ``keys`` (flat raster indices), and each row's ``topk``-th value."""
    # Equal values are taken in ascending raster order, so reading a map whole
    # or around its peak picks the same pixels.
    values, where = top_k(up, topk, keys)
    index = keys.gather(1, where)
    x = (index % width).to(up.dtype) + readout.offset
    y = torch.div(index, width, rounding_mode='floor').to(up.dtype) + readout.offset
    points = _weighted_mean_position(values, x, y)
    if readout.empty is not None:
        # maps are non-negative: no positive value among the top ones means none at all
        points[~(values > 0).any(1)] = readout.empty
    return points, values[:, -1]


def _whole_raster(num: int, ay: _Axis, ax: _Axis, device) -> Tuple[torch.Tensor, torch.Tensor]:
    rows = torch.arange(ay.pixels, device=device).expand(num, -1)
    cols = torch.arange(ax.pixels, device=device).expand(num, -1)
    return rows, cols


def upsample_heatmaps(heatmaps: torch.Tensor, raster_hw: Tuple[int, int]) -> torch.Tensor:
    """Label maps ``[N, h, w]`` upsampled bilinearly to the raster, ``[N, H * W]``
    (the values of ``F.interpolate(..., align_corners=False)``)."""
    num, h, w = heatmaps.shape
    ay, ax = _Axis(h, raster_hw[0], heatmaps.device), _Axis(w, raster_hw[1], heatmaps.device)
    return _upsampled(heatmaps, ay, ax, *_whole_raster(num, ay, ax, heatmaps.device))


def upsampled_to_points(
    up: torch.Tensor, raster_hw: Tuple[int, int], topk: int, readout: Readout = PIXEL_CENTRES
) -> torch.Tensor:
    """Positions ``[N, 2]`` (x, y) from :func:`upsample_heatmaps` output ``[N, H * W]``:
    the mean of the ``topk`` highest pixel centres (or, by ``readout``,
    indices) weighted by their (non-negative) values, or their plain mean
    where those are all zero. Among equal values the pixels first in raster
    order are taken."""
    keys = torch.arange(up.shape[1], device=up.device).expand_as(up)
    return _read_position(up, keys, raster_hw[1], topk, readout)[0]


def heatmaps_to_points(
    heatmaps: torch.Tensor,
    raster_hw: Tuple[int, int],
    topk: int,
    readout: Readout = PIXEL_CENTRES,
) -> torch.Tensor:
    """Positions ``[N, 2]`` (x, y) from label maps ``[N, h, w]``: each map is
    upsampled to the raster (:func:`upsample_heatmaps`) and read by
    :func:`upsampled_to_points`."""
    if heatmaps.shape[0] == 0:
        return heatmaps.new_zeros(0, 2)
    return upsampled_to_points(upsample_heatmaps(heatmaps, raster_hw), raster_hw, topk, readout)


def peak_window_points(
    heatmaps: torch.Tensor,
    raster_hw: Tuple[int, int],
    topk: int,
    radius: int,
    readout: Readout = PIXEL_CENTRES,
) -> torch.Tensor:
    """:func:`heatmaps_to_points` without upsampling whole maps.

    The upsampled values are computed only for the raster pixels within about
    ``radius`` feature cells of each map's peak. Outside that window no pixel
    can exceed the largest cell that such a pixel reads; where that bound does
    not fall below the window's ``topk``-th value the map is read whole, so
    the positions always equal :func:`heatmaps_to_points`.
    """
    num, h, w = heatmaps.shape
    width = raster_hw[1]
    if num == 0:
        return heatmaps.new_zeros(0, 2)
    ay, ax = _Axis(h, raster_hw[0], heatmaps.device), _Axis(w, width, heatmaps.device)
    peak = heatmaps.flatten(1).argmax(1)
    rows, cols = ay.window(peak // w, radius), ax.window(peak % w, radius)
    up = _upsampled(heatmaps, ay, ax, rows, cols)
    keys = (rows[:, :, None] * width + cols[:, None, :]).flatten(1)
    points, kth = _read_position(up, keys, width, topk, readout)
    interior = ay.interior(rows)[:, :, None] & ax.interior(cols)[:, None, :]
    outside = heatmaps.masked_fill(interior, -math.inf).flatten(1).amax(1)
    for unsure in (outside >= kth).nonzero().squeeze(1).split(WHOLE_MAPS_AT_ONCE):
        points[unsure] = heatmaps_to_points(heatmaps[unsure], raster_hw, topk, readout)
    return points
