import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fgvc.models.data_preprocessors import VideoDataPreprocessor, rgb_to_lab
from fgvc.propagation import (
    PropagationConfig,
    gaussian_heatmaps,
    heatmaps_to_points,
    propagate_labels,
)


def dense_propagation(target, memory_feats, memory_labels, neighbor_range, topk, temperature):
    """Brute force: every target pixel against every memory pixel, then the disc mask."""
    channels, h, w = target.shape
    num_mem, num_labels = memory_labels.shape[:2]
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    pos = torch.stack([yy.flatten(), xx.flatten()], 1).double()
    near = (((pos[:, None] - pos[None]) ** 2).sum(-1) < (neighbor_range / 2) ** 2).repeat(
        1, num_mem
    )
    affinity = target.reshape(channels, -1).t() @ memory_feats.transpose(0, 1).reshape(channels, -1)
    values, index = affinity.masked_fill(~near, -math.inf).topk(topk, dim=1)
    weights = torch.softmax(values / temperature, dim=1)
    labels = memory_labels.transpose(0, 1).reshape(num_labels, -1)
    return (labels[:, index] * weights).sum(-1).view(num_labels, h, w)


@pytest.mark.parametrize(
    'h,w,neighbor_range,tile',
    [(13, 17, 6, 4), (20, 9, 30, 16), (16, 16, 5, 16), (7, 23, 9, 5), (9, 9, 1.5, 4)],
)
def test_tiled_propagation_equals_dense(h, w, neighbor_range, tile):
    gen = torch.Generator().manual_seed(h * w)
    target = F.normalize(torch.randn(8, h, w, generator=gen), dim=0)
    memory = F.normalize(torch.randn(3, 8, h, w, generator=gen), dim=1)
    labels = torch.rand(3, 4, h, w, generator=gen)
    ours = propagate_labels(target, memory, labels, neighbor_range, 10, 0.07, tile)
    ref = dense_propagation(target, memory, labels, neighbor_range, 10, 0.07)
    assert torch.allclose(ours, ref, atol=1e-6)


def test_propagation_follows_a_grid_shift():
    gen = torch.Generator().manual_seed(0)
    frame0 = F.normalize(torch.randn(16, 24, 24, generator=gen), dim=0)
    frame1 = torch.roll(frame0, shifts=(2, -3), dims=(1, 2))
    label = gaussian_heatmaps(torch.tensor([[24.0, 24.0]]), (24, 24), (2.0, 2.0), 4.0)
    out = propagate_labels(frame1, frame0[None], label[None], 30, 1, 0.07)
    expected = torch.roll(label, shifts=(2, -3), dims=(1, 2))
    assert torch.allclose(out[:, 2:, :-3], expected[:, 2:, :-3])  # away from the wrapped edge


def test_heatmap_round_trip_is_subpixel():
    points = torch.rand(200, 2, generator=torch.Generator().manual_seed(1)) * 200 + 28
    maps = gaussian_heatmaps(points, (128, 128), (2.0, 2.0), 6.0)
    decoded = heatmaps_to_points(maps, (256, 256), topk=5)
    assert (decoded - points).norm(dim=1).max() < 0.35


def test_gaussian_heatmap_peaks_at_the_point_cell():
    maps = gaussian_heatmaps(torch.tensor([[5.0, 9.0]]), (8, 8), (2.0, 2.0), 1.0)
    assert maps[0].argmax().item() == 4 * 8 + 2  # x=5 -> cell 2, y=9 -> cell 4
    assert maps.max() <= 1.0


def test_unknown_propagation_option_is_named():
    with pytest.raises(KeyError, match='topkk'):
        PropagationConfig.from_dict(dict(topkk=3))


def test_lab_matches_opencv():
    rgb = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
    ref = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)
    ours = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1)).permute(1, 2, 0).numpy()
    assert np.abs(ours - ref).max() < 0.5


def test_preprocessor_normalises_and_resizes():
    pre = VideoDataPreprocessor(input_size=(8, 6))
    frames = torch.full((2, 10, 12, 3), 255, dtype=torch.uint8)
    out = pre.normalize(frames)
    assert out.shape == (2, 3, 8, 6)
    assert torch.allclose(out[:, 0], torch.ones(2, 8, 6), atol=1e-3)  # L=100 -> (100-50)/50
