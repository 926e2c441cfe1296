"""Query points of the user-facing API: parsing, grids and validation.

A query is ``(t, x, y)``: frame index ``t`` (0-based) and a position in the
frame's own pixels, in continuous coordinates whose origin is the top-left
corner of the image: pixel column ``i`` covers ``[i, i + 1)``, so the centre
of the top-left pixel is ``(0.5, 0.5)`` and ``x`` lies in ``[0, W]``, ``y``
in ``[0, H]``. Tracks use the same convention.

Specs (the CLI's ``--queries`` and :class:`fgvc.apis.Predictor`):

* ``grid:N`` -- an N x N grid at frame 0, at the centres of an N x N tiling
  of the frame;
* a path to a CSV file with columns ``t,x,y`` (an optional header line);
* inline ``"t,x,y;t,x,y;..."``.
"""

import os.path as osp
from typing import Optional, Union

import numpy as np

from fgvc.fileio.video_reader import VideoReader

GRID_PREFIX = 'grid:'
POINT_SEPARATOR = ';'
FIELD_SEPARATOR = ','
QUERY_FIELDS = 3

Queries = Union[str, np.ndarray]


def grid_queries(num: int, height: int, width: int, frame: int = 0) -> np.ndarray:
    """``num`` x ``num`` queries ``[num * num, 3]`` (t, x, y) at the centres of
    an even tiling of a ``height`` x ``width`` frame, row by row."""
    if num < 1:
        raise ValueError(f'A query grid needs at least 1 point a side, got {num}')
    xs = (np.arange(num) + 0.5) * width / num
    ys = (np.arange(num) + 0.5) * height / num
    gy, gx = np.meshgrid(ys, xs, indexing='ij')
    return np.stack([np.full(gx.size, frame, np.float64), gx.ravel(), gy.ravel()], 1)


def _parse_rows(rows, source: str) -> np.ndarray:
    points = []
    for number, row in enumerate(rows, 1):
        fields = [f.strip() for f in row.split(FIELD_SEPARATOR)]
        if len(fields) != QUERY_FIELDS:
            raise ValueError(f'{source}, query {number}: expected "t,x,y", got {row!r}')
        try:
            points.append([float(f) for f in fields])
        except ValueError:
            raise ValueError(
                f'{source}, query {number}: "t,x,y" must be numbers, got {row!r}'
            ) from None
    return np.array(points, np.float64).reshape(-1, QUERY_FIELDS)


def _is_numeric(row: str) -> bool:
    try:
        [float(f) for f in row.split(FIELD_SEPARATOR)]
    except ValueError:
        return False
    return True


def read_queries_csv(path: str) -> np.ndarray:
    """Queries ``[N, 3]`` (t, x, y) from a CSV file; a first line that is not
    numeric is taken as a header. A UTF-8 byte-order mark (spreadsheets
    write one) is no part of the first line."""
    with open(path, encoding='utf-8-sig') as f:
        rows = [line.strip() for line in f if line.strip()]
    if rows and not _is_numeric(rows[0]):
        rows = rows[1:]
    return _parse_rows(rows, path)


def parse_queries(spec: Queries, height: int, width: int) -> np.ndarray:
    """Queries ``[N, 3]`` (t, x, y) float64 from an array or a spec string
    (``grid:N``, a CSV file, or ``"t,x,y;t,x,y"``); not yet validated."""
    if not isinstance(spec, str):
        queries = np.asarray(spec, np.float64)
        if queries.ndim != 2 or queries.shape[1] != QUERY_FIELDS:
            raise ValueError(
                f'Queries must be an array [N, 3] of (t, x, y), got shape {list(queries.shape)}'
            )
        return queries
    if spec.startswith(GRID_PREFIX):
        size = spec[len(GRID_PREFIX) :]
        if not size.isdigit():
            raise ValueError(f'Grid spec must be "grid:N" with N a whole number, got {spec!r}')
        return grid_queries(int(size), height, width)
    if osp.isfile(spec):
        return read_queries_csv(spec)
    if spec.lower().endswith('.csv'):
        raise FileNotFoundError(f'Query file not found: {spec}')
    rows = [r for r in spec.split(POINT_SEPARATOR) if r.strip()]
    return _parse_rows(rows, 'queries')


def _frame_problem(n: int, t: float, num_frames: Optional[int]) -> str:
    if num_frames is None:
        return f'query {n}: frame {t:g} is not a frame index (a whole number >= 0)'
    return (
        f'query {n}: frame {t:g} is not a frame index of a video of '
        f'{num_frames} frames (0..{num_frames - 1})'
    )


def validate_queries(
    queries: np.ndarray, num_frames: Optional[int], height: Optional[int], width: Optional[int]
) -> None:
    """Raise a ``ValueError`` naming every query outside the video: ``t`` must be
    a frame index in ``[0, num_frames)`` (any whole number >= 0 when
    ``num_frames`` is None: a stream of unknown length), ``x`` in
    ``[0, width]``, ``y`` in ``[0, height]`` (not checked while the frame
    size is None: a stream before its first frame)."""
    if len(queries) == 0:
        raise ValueError('No query points given')
    t, x, y = queries.T
    problems = []
    for n in np.flatnonzero(~np.isfinite(queries).all(1)):
        problems.append(f'query {n} {tuple(queries[n].tolist())} is not finite')
    finite = np.isfinite(queries).all(1)
    last = np.inf if num_frames is None else num_frames - 1
    for n in np.flatnonzero(finite & ((t < 0) | (t > last) | (t != np.round(t)))):
        problems.append(_frame_problem(n, t[n], num_frames))
    if height is not None and width is not None:
        for n in np.flatnonzero(finite & ((x < 0) | (x > width) | (y < 0) | (y > height))):
            problems.append(
                f'query {n}: (x, y) = ({x[n]:g}, {y[n]:g}) is outside the '
                f'{width}x{height} frame (x in [0, {width}], y in [0, {height}])'
            )
    if problems:
        shown = problems[:10]
        more = (
            f'\n  ... and {len(problems) - len(shown)} more' if len(problems) > len(shown) else ''
        )
        raise ValueError('Invalid query points:\n  ' + '\n  '.join(shown) + more)


def queries_in_video(spec: Queries, video: VideoReader) -> np.ndarray:
    """:func:`parse_queries` of ``spec`` for ``video``, checked by
    :func:`validate_queries` against its frames and size."""
    queries = parse_queries(spec, video.height, video.width)
    validate_queries(queries, len(video), video.height, video.width)
    return queries
