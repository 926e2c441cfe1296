"""The pieces of the memory-policy accuracy table and the benchmark's --memory option."""

import math

import numpy as np
import pytest

from fgvc.benchmark.memory_accuracy import (
    inside_fraction,
    mask_points,
    memory_policies,
    queries_at_several_frames,
    suited_policies,
)
from fgvc.benchmark.options import memory_option
from fgvc.propagation import ExactMemory, KeyframeMemory
from fgvc.utils import register_all_modules

register_all_modules()


def test_each_track_is_queried_at_its_first_visible_frame_in_each_window():
    occluded = np.array([[1, 0, 0, 0, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]], bool)
    points = np.arange(16, dtype=float).reshape(1, 8, 2).repeat(2, 0)
    queries, rows = queries_at_several_frames(occluded, points, stride=3)
    # windows [0, 3), [3, 6), [6, 9): first visible frames 1, 3, 6; track 1 never visible
    assert queries.tolist() == [[1, 3, 2], [3, 7, 6], [6, 13, 12]]
    assert rows.tolist() == [0, 0, 0]


def test_points_are_drawn_inside_their_masks_and_scored_against_them():
    masks = np.zeros((4, 6, 8), np.uint8)
    masks[:, 1:3, 1:4] = 1
    masks[:2, 4:6, 5:8] = 2
    queries, objects = mask_points(masks, 3, stride=2, rng=np.random.default_rng(0))
    for (t, y, x), obj in zip(queries, objects):
        assert masks[int(t), int(y), int(x)] == obj
    assert sorted(set(objects.tolist())) == [1, 2] and (queries[objects == 2, 0] == 0).all()
    tracks = np.zeros((len(queries), 4, 2))
    tracks[..., 0], tracks[..., 1] = 2.5, 1.5  # inside object 1 everywhere
    score = inside_fraction(tracks, queries, objects, masks)
    ones = objects == 1
    # object 1: every later frame inside; object 2 (present in frames 0-1): frame 1, outside
    scored_ones = sum(3 - int(t) for t in queries[ones, 0])
    assert math.isclose(score, 100 * scored_ones / (scored_ones + (~ones).sum()))


def test_policies_of_the_table():
    policies = memory_policies([(10, 5), (math.inf, 1)])
    assert list(policies) == ['exact', 'H=10 K=5', 'H=inf K=1']
    assert isinstance(policies['exact'], ExactMemory)
    assert list(suited_policies(policies, 10)) == ['exact', 'H=inf K=1']


def test_the_benchmark_memory_option():
    assert memory_option(None) is None
    assert memory_option(['KeyframeMemory', 'horizon=15', 'interval=5']) == dict(
        type='KeyframeMemory', horizon=15, interval=5
    )
    assert memory_option(['KeyframeMemory', 'horizon=inf'])['horizon'] == math.inf
    with pytest.raises(ValueError, match='KEY=VALUE'):
        memory_option(['KeyframeMemory', '15'])
    with pytest.raises(KeyError, match='NoMemory'):
        memory_option(['NoMemory'])
    assert isinstance(KeyframeMemory(**{'horizon': 15}), KeyframeMemory)
