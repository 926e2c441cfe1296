"""Equal affinities are ranked by one rule everywhere: the lower key first.

Generated videos and untrained encoders give many exactly equal features.
Features made of +-0.5 entries (unit norm, exact dot products) tie on
purpose here, so that every matcher must pick the same pixels among them.
"""

import pytest
import torch

from fgvc.propagation import (
    DenseMatcher,
    LocalMatcher,
    PropagationConfig,
    dense_neighbourhood,
    track_points_with_peaks,
)
from fgvc.propagation.local_attention import select_joint, select_topk
from fgvc.propagation.matcher import Candidates, joint_candidates, merge_candidates
from fgvc.propagation.ranking import top_k


def brute_top_k(values, k, keys):
    """Sort each row by (value descending, key ascending) in Python."""
    out_values, out_where = [], []
    for row, row_keys in zip(values.tolist(), keys.tolist()):
        order = sorted(range(len(row)), key=lambda i: (-row[i], row_keys[i]))[:k]
        out_values.append([row[i] for i in order])
        out_where.append(order)
    return torch.tensor(out_values), torch.tensor(out_where)


def tied_rows(rows, length, levels, seed):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(levels, (rows, length), generator=gen).float()


@pytest.mark.parametrize('k', [1, 4, 10, 40])
@pytest.mark.parametrize('with_keys', [False, True])
def test_top_k_breaks_ties_by_the_lower_key(k, with_keys):
    values = tied_rows(64, 40, 5, seed=k)
    gen = torch.Generator().manual_seed(100 + k)
    keys = torch.stack([torch.randperm(40, generator=gen) for _ in range(64)])
    ours = top_k(values, k, keys if with_keys else None)
    ref = brute_top_k(values, k, keys if with_keys else torch.arange(40).expand(64, -1))
    assert torch.equal(ours[0], ref[0])
    assert torch.equal(ours[1], ref[1])


def test_top_k_of_distinct_values_is_topk():
    values = torch.randn(3, 7, 50, generator=torch.Generator().manual_seed(0))
    ours = top_k(values, 6)
    ref = values.topk(6, dim=-1)
    assert torch.equal(ours[0], ref.values) and torch.equal(ours[1], ref.indices)


@pytest.mark.parametrize('chunk', [1, 4, 16])
@pytest.mark.parametrize('levels', [3, 50, 10_000])
def test_chunked_selection_equals_whole_row_selection(chunk, levels):
    values = tied_rows(8 * 96, 16 * 12, levels, seed=levels).view(8, 96, 16 * 12)
    ours = select_topk(values, 10, chunk)
    ref = top_k(values, 10)
    assert torch.equal(ours[0], ref[0])
    assert torch.equal(ours[1], ref[1])


@pytest.mark.parametrize('chunk', [1, 4, 16])
@pytest.mark.parametrize('levels', [3, 50, 10_000])
def test_joint_selection_over_segments_equals_whole_row_selection(chunk, levels):
    segments, rows, length = 3, 40, 16 * 12
    blocks = tied_rows(segments * rows, length, levels, seed=levels).view(segments, rows, length)
    keys = torch.randperm(length, generator=torch.Generator().manual_seed(levels))
    ours = select_joint(blocks, 10, chunk, keys)
    whole = blocks.permute(1, 0, 2).reshape(rows, -1)
    joint_keys = (torch.arange(segments)[:, None] * length + keys).flatten()
    ref = brute_top_k(whole, 10, joint_keys.expand(rows, -1))
    assert torch.equal(ours[0], ref[0])
    assert torch.equal(ours[1], ref[1])


def tied_features(frames, channels, h, w, seed):
    """Unit features with entries +-0.5: few distinct vectors, exact dot products."""
    gen = torch.Generator().manual_seed(seed)
    signs = torch.randint(2, (frames, channels, h, w), generator=gen).float() * 2 - 1
    return signs / channels**0.5


def test_local_and_dense_choose_the_same_pixels_among_equal_affinities():
    target, memory = tied_features(2, 4, 15, 19, seed=1)
    local, dense = LocalMatcher(9, tile=4), DenseMatcher(9, step=37)
    ours = local.match(target, [local.prepare(memory)], 10)[0]
    ref = dense.candidates(target, memory, 10)
    near = dense_neighbourhood((15, 19), 9)
    brute = brute_top_k(
        (target.flatten(1).t() @ memory.flatten(1)).masked_fill(~near, -float('inf')),
        10,
        torch.arange(15 * 19).expand(15 * 19, -1),
    )
    assert torch.equal(ref.values, brute[0]) and torch.equal(ref.index, brute[1])
    assert torch.equal(ours.values, ref.values) and torch.equal(ours.index, ref.index)


def test_merge_does_not_depend_on_the_order_of_candidates():
    gen = torch.Generator().manual_seed(2)
    num_pixels, k = 30, 6
    candidates = [
        Candidates(
            torch.randint(3, (num_pixels, k), generator=gen).float() / 4,
            torch.stack([torch.randperm(num_pixels, generator=gen)[:k] for _ in range(num_pixels)]),
        )
        for _ in range(3)
    ]
    labels = torch.rand(4, 3, num_pixels, generator=gen)
    shuffled = []
    for c in candidates:
        order = torch.stack([torch.randperm(k, generator=gen) for _ in range(num_pixels)])
        shuffled.append(Candidates(c.values.gather(1, order), c.index.gather(1, order)))
    assert torch.equal(
        merge_candidates(candidates, labels, k, 0.1), merge_candidates(shuffled, labels, k, 0.1)
    )


def test_tracks_on_tied_features_are_bit_identical_across_matchers():
    features = tied_features(6, 4, 12, 14, seed=3)
    queries = torch.tensor([[0.0, 5.0, 7.0], [0.0, 20.0, 3.0], [2.0, 11.0, 25.0]])
    cfg = PropagationConfig(precede_frames=2, matcher=LocalMatcher(100, tile=4))
    dense_cfg = PropagationConfig(precede_frames=2, matcher=DenseMatcher(100, step=29))
    local = track_points_with_peaks(features, queries, (24, 28), cfg)
    dense = track_points_with_peaks(features, queries, (24, 28), dense_cfg)
    assert torch.equal(local[0], dense[0]) and torch.equal(local[1], dense[1])


@pytest.mark.parametrize(
    'hw,neighbor_range,tile,memories',
    [((15, 19), 9, 4, 3), ((20, 33), 30, 8, 2), ((9, 9), 1.5, 3, 3), ((11, 13), 7, 5, 1)],
)
def test_joint_local_matching_equals_merging_per_frame_candidates(
    hw, neighbor_range, tile, memories
):
    features = tied_features(memories + 1, 4, *hw, seed=5)
    matcher = LocalMatcher(neighbor_range, tile)
    layouts = [matcher.prepare(f) for f in features[1:]]
    joint = matcher.match_joint(features[0], layouts, 10)
    ref = joint_candidates(matcher.match(features[0], layouts, 10), 10)
    assert torch.equal(joint.values, ref.values)
    # slots beyond a pixel's allowed neighbours carry -inf and no weight
    allowed = joint.values > -float('inf')
    assert torch.equal(joint.index[allowed], ref.index[allowed])


def test_a_group_tracks_the_same_alone_and_beside_groups_of_other_query_frames():
    """Alone, a group's candidates come from one joint selection; beside a
    group with other memory frames, from per-frame candidates merged."""
    features = tied_features(7, 4, 12, 14, seed=4)
    first = torch.tensor([[0.0, 5.0, 7.0], [0.0, 20.0, 3.0]])
    later = torch.tensor([[3.0, 11.0, 25.0]])
    cfg = PropagationConfig(precede_frames=2, matcher=LocalMatcher(9, tile=4))
    alone = track_points_with_peaks(features, first, (24, 28), cfg)
    beside = track_points_with_peaks(features, torch.cat([first, later]), (24, 28), cfg)
    assert torch.equal(alone[0], beside[0][:2]) and torch.equal(alone[1], beside[1][:2])
