"""Dense, local and coarse-to-fine propagation: same results, different cost."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fgvc.models.trackers import LazyFeatures
from fgvc.propagation import (
    CoarseToFineMatcher,
    DenseMatcher,
    LocalMatcher,
    PropagationConfig,
    coarse_to_fine_candidates,
    dense_neighbourhood,
    gaussian_heatmaps,
    heatmaps_to_points,
    local_candidates,
    peak_window_points,
    propagate_labels_dense,
    segment_video,
    track_points_with_peaks,
)


def smooth_features(num_frames, channels, h, w, shift, seed, noise=0.1):
    """Unit features of a smooth random field whose content moves by ``shift``
    (dy, dx) cells per frame, plus a little noise of each frame's own (so that
    no two pixels have exactly the same features and top-k has no ties)."""
    gen = torch.Generator().manual_seed(seed)
    size = (h + abs(shift[0]) * num_frames + 8, w + abs(shift[1]) * num_frames + 8)
    field = F.avg_pool2d(torch.randn(1, channels, *size, generator=gen), 3, 1, 1)[0]
    base = [4 + max(0, s * (num_frames - 1)) for s in shift]
    frames = [
        field[
            :,
            base[0] - t * shift[0] : base[0] - t * shift[0] + h,
            base[1] - t * shift[1] : base[1] - t * shift[1] + w,
        ]
        for t in range(num_frames)
    ]
    frames = torch.stack(frames)
    return F.normalize(
        frames + noise * frames.std() * torch.randn(frames.shape, generator=gen), dim=1
    )


def queries_at(frames, count, raster_hw, seed):
    gen = torch.Generator().manual_seed(seed)
    t = torch.tensor(frames)[torch.randint(len(frames), (count,), generator=gen)].float()
    yx = torch.rand(count, 2, generator=gen) * torch.tensor(raster_hw)
    return torch.cat([t[:, None], yx], 1)


@pytest.mark.parametrize('bidirectional', [False, True])
def test_dense_and_local_give_the_same_tracks_when_the_neighbourhood_covers_the_frame(
    bidirectional,
):
    features = smooth_features(7, 16, 14, 18, (1, -1), seed=0)
    queries = queries_at([0, 2, 5], 24, (28, 36), seed=1)
    cfg = PropagationConfig(
        precede_frames=2, bidirectional=bidirectional, matcher=LocalMatcher(100, tile=8)
    )
    dense_cfg = replace(cfg, matcher=DenseMatcher(100, step=50))
    dense = track_points_with_peaks(features, queries, (28, 36), dense_cfg)
    local = track_points_with_peaks(features, queries, (28, 36), cfg)
    assert (dense[0] - local[0]).abs().max() < 0.01
    assert torch.allclose(dense[1], local[1], atol=1e-5)
    reached = dense[1] > 0
    assert reached.float().mean() > (0.99 if bidirectional else 0.5)


def test_dense_and_local_give_the_same_masks():
    features = smooth_features(5, 8, 12, 16, (0, 1), seed=2)
    mask = torch.zeros(24, 32, dtype=torch.long)
    mask[4:14, 6:20] = 1
    mask[16:, 20:] = 2
    cfg = PropagationConfig(precede_frames=3, matcher=LocalMatcher(100))
    dense = dict(segment_video(features, mask, 3, replace(cfg, matcher=DenseMatcher(100))))
    local = dict(segment_video(features, mask, 3, cfg))
    assert sorted(dense) == sorted(local) == [1, 2, 3, 4]
    for t in dense:
        assert torch.equal(dense[t], local[t])


def test_dense_step_matches_a_one_shot_brute_force():
    gen = torch.Generator().manual_seed(3)
    target = F.normalize(torch.randn(8, 9, 11, generator=gen), dim=0)
    memory = F.normalize(torch.randn(3, 8, 9, 11, generator=gen), dim=1)
    labels = torch.rand(3, 5, 9, 11, generator=gen)
    near = dense_neighbourhood((9, 11), 7)
    ours = propagate_labels_dense(target, memory, labels, near, 6, 0.1, step=13)
    affinity = target.flatten(1).t() @ memory.transpose(0, 1).flatten(1)
    values, index = affinity.masked_fill(~near.repeat(1, 3), -math.inf).topk(6, dim=1)
    weights = torch.softmax(values / 0.1, dim=1)
    ref = (labels.transpose(0, 1).flatten(1)[:, index] * weights).sum(-1).view(5, 9, 11)
    assert torch.allclose(ours, ref, atol=1e-6)


@pytest.mark.parametrize(
    'h,w,neighbor_range,tile', [(13, 17, 6, 4), (20, 9, 30, 16), (9, 9, 1.5, 4)]
)
def test_local_candidates_are_each_pixels_best_neighbours(h, w, neighbor_range, tile):
    gen = torch.Generator().manual_seed(h + w)
    target = F.normalize(torch.randn(8, h, w, generator=gen), dim=0)
    memory = F.normalize(torch.randn(8, h, w, generator=gen), dim=0)
    cand = local_candidates(target, memory, neighbor_range, 5, tile)
    affinity = target.flatten(1).t() @ memory.flatten(1)
    affinity = affinity.masked_fill(~dense_neighbourhood((h, w), neighbor_range), -math.inf)
    values, _ = affinity.topk(5, dim=1)
    assert torch.allclose(cand.values, values, atol=1e-6)
    finite = torch.isfinite(cand.values)
    assert torch.allclose(affinity.gather(1, cand.index)[finite], cand.values[finite], atol=1e-6)


def brute_coarse_to_fine(target, memory, factor, coarse_range, radius, topk):
    """Per pixel: the coarse argmax within the disc, then the fine square window."""
    channels, h, w = target.shape
    pool = lambda x: F.normalize(F.avg_pool2d(x[None], factor, ceil_mode=True)[0], dim=0)  # noqa
    ct, cm = pool(target), pool(memory)
    ch, cw = ct.shape[1:]
    coarse_aff = ct.flatten(1).t() @ cm.flatten(1)
    coarse_aff = coarse_aff.masked_fill(~dense_neighbourhood((ch, cw), coarse_range), -math.inf)
    match = coarse_aff.argmax(1)
    values = torch.full((h * w, topk), -math.inf)
    for y in range(h):
        for x in range(w):
            cell = (y // factor) * cw + x // factor
            dy = (match[cell] // cw - y // factor) * factor
            dx = (match[cell] % cw - x // factor) * factor
            sims = [
                (target[:, y, x] @ memory[:, yy, xx]).item()
                for yy in range(y + dy - radius, y + dy + radius + 1)
                for xx in range(x + dx - radius, x + dx + radius + 1)
                if 0 <= yy < h and 0 <= xx < w
            ]
            best = sorted(sims, reverse=True)[:topk]
            values[y * w + x, : len(best)] = torch.tensor(best)
    return values


def test_coarse_to_fine_candidates_match_a_brute_force():
    features = smooth_features(2, 8, 13, 18, (2, 3), seed=4)
    ours = coarse_to_fine_candidates(features[1], features[0], 4, 3, 2, 4, tile=4)
    ref = brute_coarse_to_fine(features[1], features[0], 4, 3, 2, 4)
    assert torch.allclose(ours.values, ref, atol=1e-5)


def test_coarse_to_fine_follows_a_large_translation():
    features = smooth_features(6, 16, 32, 32, (3, -4), seed=5)
    queries = torch.tensor([[0.0, 14.0, 52.0], [0.0, 24.0, 46.0]])  # (t, y, x) on a 64x64 raster
    c2f = CoarseToFineMatcher(coarse_range=8, refine_radius=3)
    cfg = PropagationConfig(sigma=3.0, matcher=c2f)
    tracks = track_points_with_peaks(features, queries, (64, 64), cfg)[0]
    expected = queries[:, None, [2, 1]] + 2 * torch.arange(6.0)[:, None] * torch.tensor([-4.0, 3.0])
    assert (tracks - expected).norm(dim=-1).max() < 1.0


def test_peak_window_reading_equals_whole_map_reading():
    gen = torch.Generator().manual_seed(6)
    for (h, w), (height, width) in [
        ((32, 32), (64, 64)),
        ((30, 40), (240, 320)),
        ((17, 23), (50, 70)),
        ((20, 20), (15, 15)),
    ]:
        points = torch.rand(120, 2, generator=gen) * torch.tensor([width, height])
        maps = gaussian_heatmaps(points, (h, w), (width / w, height / h), 6.0)
        maps = maps * torch.rand(120, 1, 1, generator=gen)
        maps[:30] += 0.3 * torch.rand(30, h, w, generator=gen)  # noisy: some read whole
        maps[30:35] = torch.rand(5, h, w, generator=gen)
        maps[35] = 0
        whole = heatmaps_to_points(maps, (height, width), 5)
        assert torch.equal(peak_window_points(maps, (height, width), 5, 3), whole)
        up = F.interpolate(
            maps[:, None], size=(height, width), mode='bilinear', align_corners=False
        )[:, 0]
        assert torch.allclose(up.flatten(1).amax(1), torch.sort(up.flatten(1), dim=1).values[:, -1])
    # Away from ties, the reading matches torch's bilinear upsampling.
    maps = gaussian_heatmaps(torch.tensor([[20.3, 30.7]]), (32, 32), (2.0, 2.0), 6.0)
    up = F.interpolate(maps[:, None], size=(64, 64), mode='bilinear', align_corners=False).flatten(
        1
    )
    values, index = up.topk(5, dim=1)
    expected = torch.stack(
        [
            ((index % 64 + 0.5) * values).sum() / values.sum(),
            ((index // 64 + 0.5) * values).sum() / values.sum(),
        ]
    )
    assert torch.allclose(heatmaps_to_points(maps, (64, 64), 5)[0], expected, atol=1e-4)


def test_memory_bound_splits_passes_without_changing_tracks():
    features = smooth_features(8, 16, 12, 12, (1, 0), seed=7)
    queries = queries_at([0, 1, 3, 4, 6], 30, (24, 24), seed=8)
    cfg = PropagationConfig(precede_frames=2, bidirectional=True)
    one_pass = track_points_with_peaks(features, queries, (24, 24), cfg)
    frame_mb = features[0].numel() * 4 / 2**20
    tight = replace(cfg, max_memory_mb=6 * frame_mb)  # room for few seed frames
    calls = []
    lazy = LazyFeatures(8, lambda a, b: features[a:b], lambda x: calls.append(len(x)) or x, 2)
    several = track_points_with_peaks(lazy, queries, (24, 24), tight)
    assert torch.equal(one_pass[0], several[0]) and torch.equal(one_pass[1], several[1])
    assert sum(calls) > 2 * 8  # the video was read more than once per direction


def test_lazy_features_encode_each_frame_once_per_pass():
    features = smooth_features(9, 4, 6, 6, (0, 1), seed=9)
    calls = []
    lazy = LazyFeatures(9, lambda a, b: features[a:b], lambda x: calls.append(len(x)) or x, 4)
    queries = torch.tensor([[0.0, 5.0, 5.0], [3.0, 6.0, 2.0]])
    tracks = track_points_with_peaks(lazy, queries, (12, 12), PropagationConfig())[0]
    assert sum(calls) == 9
    assert torch.equal(
        tracks, track_points_with_peaks(features, queries, (12, 12), PropagationConfig())[0]
    )
    with pytest.raises(IndexError, match='frame 9'):
        lazy[9]


def test_unknown_matcher_is_named():
    with pytest.raises(KeyError, match='SparseMatcher'):
        PropagationConfig.from_dict(dict(matcher=dict(type='SparseMatcher')))


@pytest.mark.parametrize(
    'options,name',
    [
        (dict(topk='abc'), 'topk'),
        (dict(precede_frames=2.5), 'precede_frames'),
        (dict(bidirectional='yes'), 'bidirectional'),
        (dict(temperature=0), 'temperature'),
        (dict(max_memory_mb='1G'), 'max_memory_mb'),
        (dict(matcher=dict(type='LocalMatcher', neighbor_range='30')), 'neighbor_range'),
        (dict(matcher=dict(type='DenseMatcher', step=0)), 'step'),
        (dict(matcher=dict(type='CoarseToFineMatcher', refine_radius=1.5)), 'refine_radius'),
    ],
)
def test_bad_option_types_fail_when_the_tracker_is_built(options, name):
    from fgvc.registry import MODELS
    from fgvc.utils import register_all_modules

    register_all_modules()
    model = dict(type='PointTracker', backbone=dict(type='RawPatchEncoder'), propagation=options)
    with pytest.raises((TypeError, ValueError), match=f"option '{name}' must be"):
        MODELS.build(model)


def test_modes_agree_on_a_textured_video():
    """Local equals dense within its neighbourhood; coarse-to-fine stays close."""
    features = smooth_features(6, 32, 24, 24, (1, 1), seed=10)
    queries = queries_at([0], 20, (48, 48), seed=11)
    cfg = PropagationConfig(precede_frames=3, matcher=LocalMatcher(12))
    dense_cfg = replace(cfg, matcher=DenseMatcher(12, step=100))
    dense = track_points_with_peaks(features, queries, (48, 48), dense_cfg)[0]
    local = track_points_with_peaks(features, queries, (48, 48), cfg)[0]
    c2f = track_points_with_peaks(
        features,
        queries,
        (48, 48),
        replace(cfg, matcher=CoarseToFineMatcher(coarse_range=4, refine_radius=3)),
    )[0]
    assert (dense - local).abs().max() < 0.01
    assert np.median((dense - c2f).norm(dim=-1).numpy()) < 0.5
