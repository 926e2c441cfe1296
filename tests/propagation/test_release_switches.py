"""The propagation switches of the `release` protocol, one at a time, on
hand-built cases: label grids and snapping, read-out offset and empty maps,
the query frame's position, and the seed frame in the recent window."""

import math

import numpy as np
import pytest
import torch

from fgvc.propagation import PropagationConfig, gaussian_heatmaps, heatmaps_to_points
from fgvc.propagation.heatmaps import Readout
from fgvc.propagation.points import query_frame_positions, seed_labels
from fgvc.propagation.stream import StreamPropagation

SIGMA = 2.0


def brute_gaussian(point, positions_x, positions_y, sigma):
    """exp(-|c - p|^2 / 2 sigma^2) at every (positions_y[i], positions_x[j]), float64."""
    out = np.empty((len(positions_y), len(positions_x)))
    for i, cy in enumerate(positions_y):
        for j, cx in enumerate(positions_x):
            out[i, j] = math.exp(-((cx - point[0]) ** 2 + (cy - point[1]) ** 2) / (2 * sigma**2))
    return out


@pytest.mark.parametrize(
    'grid, position',
    [
        ('cell_centre', lambda j, s: (j + 0.5) * s),
        ('pixel_index', lambda j, s: j * s),
        ('cell_centre_index', lambda j, s: (j + 0.5) * s - 0.5),
    ],
)
def test_label_grids_evaluate_the_gaussian_where_they_say(grid, position):
    point = (5.3, 3.7)
    stride_xy = (2.0, 1.5)
    maps = gaussian_heatmaps(torch.tensor([point]), (6, 5), stride_xy, SIGMA, grid)
    xs = [position(j, stride_xy[0]) for j in range(5)]
    ys = [position(i, stride_xy[1]) for i in range(6)]
    np.testing.assert_allclose(maps[0].numpy(), brute_gaussian(point, xs, ys, SIGMA), rtol=1e-6)


def test_pixel_index_grid_is_the_float64_gaussian_cast_once():
    """The release draws in float64 (float32 grid minus float64 points) and casts."""
    point = torch.tensor([[100.337, 57.912]], dtype=torch.float32)
    maps = gaussian_heatmaps(point, (64, 64), (2.0, 2.0), 6.0, 'pixel_index')
    grid = torch.arange(64, dtype=torch.float32) * 2
    p = point.double()
    dx2 = (grid[None, :] - p[:, :1]) ** 2
    dy2 = (grid[None, :] - p[:, 1:]) ** 2
    expected = torch.exp(-(dy2[:, :, None] + dx2[:, None, :]) / (2 * 6.0**2)).float()
    assert torch.equal(maps, expected)


def release_draw_label_map(shape, pt, sigma):
    """The Gaussian the release's datasets draw (``draw_label_map``): centred on
    ``int(p - 3 sigma) + 3 sigma``, values only within ``3 sigma`` of it (a
    (6 sigma + 1)^2 square clipped by the image), rows y and columns x."""
    img = np.zeros(shape)
    size = 6 * sigma + 1
    ul = [int(pt[0] - 3 * sigma), int(pt[1] - 3 * sigma)]
    br = [int(pt[0] + 3 * sigma + 1), int(pt[1] + 3 * sigma + 1)]
    for y in range(max(0, ul[1]), min(br[1], shape[0])):
        for x in range(max(0, ul[0]), min(br[0], shape[1])):
            dx, dy = x - ul[0] - size // 2, y - ul[1] - size // 2
            img[y, x] = math.exp(-(dx**2 + dy**2) / (2 * sigma**2))
    return img


@pytest.mark.parametrize('point', [(20.7, 13.2), (4.6, 30.9), (37.2, 2.5)])
def test_snapping_on_pixels_is_the_releases_drawing(point):
    """'pixel': drawn on the raster's pixels (stride 1, pixel-index grid), the
    point moved and its Gaussian cut as the release's JHMDB labels are."""
    maps = gaussian_heatmaps(
        torch.tensor([point], dtype=torch.float64), (34, 40), (1.0, 1.0), 2, 'pixel_index', 'pixel'
    )
    np.testing.assert_allclose(maps[0].numpy(), release_draw_label_map((34, 40), point, 2))


def test_snapping_on_cells_draws_on_the_feature_grid():
    """'cell': drawn on the feature grid in cell units (sigma 6 px = 3 cells at
    stride 2, as the release's BADJA labels: a map at half the frame size)."""
    point = (41.0, 26.6)  # raster pixels
    maps = gaussian_heatmaps(
        torch.tensor([point], dtype=torch.float64), (20, 30), (2.0, 2.0), 6.0, 'pixel_index', 'cell'
    )
    expected = release_draw_label_map((20, 30), (point[0] / 2, point[1] / 2), 3)
    np.testing.assert_allclose(maps[0].numpy(), expected)
    assert not torch.equal(
        maps,
        gaussian_heatmaps(torch.tensor([point]).double(), (20, 30), (2.0, 2.0), 6.0, 'pixel_index'),
    )


def test_readout_offset_reads_indices_or_centres():
    """One bright feature cell at stride 1: its pixel's centre, or its index."""
    maps = torch.zeros(1, 8, 8)
    maps[0, 3, 5] = 1.0
    centre = heatmaps_to_points(maps, (8, 8), 1)
    index = heatmaps_to_points(maps, (8, 8), 1, Readout(offset=0.0))
    assert centre.tolist() == [[5.5, 3.5]] and index.tolist() == [[5.0, 3.0]]


def test_an_empty_map_reads_as_minus_one_or_the_mean_of_its_first_pixels():
    maps = torch.zeros(2, 4, 4)
    maps[1, 2, 1] = 0.5
    plain = heatmaps_to_points(maps, (4, 4), 2)
    assert plain[0].tolist() == [1.0, 0.5]  # pixels 0 and 1 of row 0, centres
    release = heatmaps_to_points(maps, (4, 4), 2, Readout(offset=0.0, empty=-1.0))
    assert release[0].tolist() == [-1.0, -1.0] and release[1].tolist() == [1.0, 2.0]


def test_query_frame_position_query_gaussian_or_seed():
    points = torch.tensor([[10.3, 6.8]])
    raster, grid = (16, 24), (8, 12)
    base = dict(sigma=1.5, coord_topk=5, position_offset=0.0, label_grid='pixel_index')
    query = PropagationConfig(**base)
    seeds = seed_labels(points, grid, raster, query)
    assert torch.equal(query_frame_positions(points, seeds, raster, query), points)
    gauss_cfg = PropagationConfig(**base, query_frame_position='gaussian')
    full = torch.tensor(brute_gaussian((10.3, 6.8), range(24), range(16), 1.5)).float()
    top = full.flatten().topk(5)
    expected = [
        float((top.values * (top.indices % 24)).sum() / top.values.sum()),
        float((top.values * (top.indices // 24)).sum() / top.values.sum()),
    ]
    got = query_frame_positions(points, seeds, raster, gauss_cfg)
    np.testing.assert_allclose(got[0].numpy(), expected, atol=1e-5)
    seed_cfg = PropagationConfig(**base, query_frame_position='seed')
    read = heatmaps_to_points(seeds, raster, 5, Readout(offset=0.0))
    assert torch.equal(query_frame_positions(points, seeds, raster, seed_cfg), read)
    assert not torch.allclose(read, got)


def test_the_seed_frame_in_the_recent_window():
    """With ``seed_in_window`` the seed is also the first recent frame: frame n
    after it matches the seed twice while n <= precede_frames."""
    features = torch.nn.functional.normalize(torch.randn(5, 3, 4, 4), dim=1)
    for flag, expected in ((False, [[0], [0, 1], [0, 1, 2], [0, 3, 2]]),
                           (True, [[0, 0], [0, 0, 1], [0, 2, 1], [0, 2, 3]])):  # fmt: skip
        stream = StreamPropagation(PropagationConfig(precede_frames=2, seed_in_window=flag))
        stream.step(0, features[0], {'g': torch.rand(1, 4, 4)})
        frames = []
        for t in range(1, 5):
            frames.append(list(stream.groups['g'].frames))
            stream.step(t, features[t])
        assert frames == expected


def test_unknown_choices_are_named():
    with pytest.raises(ValueError, match="label_grid' must be one of"):
        PropagationConfig(label_grid='corner')
    with pytest.raises(ValueError, match="query_frame_position' must be one of"):
        PropagationConfig(query_frame_position='first')
    with pytest.raises(ValueError, match="label_snap' must be one of"):
        PropagationConfig(label_snap='frame')
    with pytest.raises(TypeError, match="seed_in_window' must be a bool"):
        PropagationConfig(seed_in_window=1)
