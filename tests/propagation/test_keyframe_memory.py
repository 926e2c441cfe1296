"""Memory policies: KeyframeMemory with an infinite horizon gives the exact
memory's tracks bit for bit (and the stored exact reference to float
rounding); with a finite one, the groups past the keyframe share one
match and one merge a frame, and each group's tracks do not depend on the
others propagated with it."""

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from track_tolerance import assert_tracks_close

import fgvc.propagation.stream as stream_module
from fgvc.propagation import (
    ExactMemory,
    KeyframeMemory,
    LocalMatcher,
    PropagationConfig,
    track_points_with_peaks,
)
from fgvc.propagation.stream import StreamPropagation

#: Made by the exact propagation before memory policies existed (see the
#: tests/data README): ``{name: {'tracks', 'peaks'}}`` for OPTIONS.
REFERENCE = 'tests/data/propagation/exact_tracks.pt'
#: Peaks agree with REFERENCE to this (affinity; tracks as tests/track_tolerance.py says).
PEAK_TOLERANCE = 1e-4
OPTIONS = dict(
    default=dict(precede_frames=2, bidirectional=True),
    release=dict(precede_frames=2, seed_in_window=True, bidirectional=True),
)
RASTER = (32, 40)


def problem():
    """Smooth random unit features ``[16, 8, 8, 10]`` and 16 queries at 8 frames."""
    g = torch.Generator().manual_seed(24)
    features = F.normalize(torch.randn(16, 8, 8, 10, generator=g), dim=1)
    features = F.normalize(features.cumsum(0), dim=1)
    frames = torch.tensor([0, 2, 3, 5, 8, 11, 14, 15]).repeat(2)
    yx = torch.rand(16, 2, generator=g) * torch.tensor([32.0, 40.0])
    return features, torch.cat([frames[:, None].float(), yx], 1)


@pytest.mark.parametrize('name', sorted(OPTIONS))
def test_infinite_horizon_equals_the_exact_memory_and_reference(name):
    features, queries = problem()
    exact = track_points_with_peaks(
        features, queries, RASTER, PropagationConfig(memory=ExactMemory(), **OPTIONS[name])
    )
    memory = KeyframeMemory(horizon=math.inf, interval=5)
    cfg = PropagationConfig(memory=memory, **OPTIONS[name])
    tracks, peaks = track_points_with_peaks(features, queries, RASTER, cfg)
    assert torch.equal(tracks, exact[0]) and torch.equal(peaks, exact[1])
    reference = torch.load(REFERENCE)[name]
    assert_tracks_close(exact[0], reference['tracks'])
    torch.testing.assert_close(exact[1], reference['peaks'], rtol=0, atol=PEAK_TOLERANCE)


def test_a_finite_horizon_changes_the_tracks_from_late_frames_on():
    features, queries = problem()
    exact_cfg = PropagationConfig(memory=ExactMemory(), **OPTIONS['default'])
    exact, _ = track_points_with_peaks(features, queries, RASTER, exact_cfg)
    cfg = PropagationConfig(memory=KeyframeMemory(horizon=4, interval=3), **OPTIONS['default'])
    tracks, _ = track_points_with_peaks(features, queries, RASTER, cfg)
    # the first switch: frame 0's group at frame 4 + 0 + 1 (keyframe 0 = its query frame),
    # then keyframe 3 from frame 7 on: tracks equal exact up to frame 6
    group = queries[:, 0] == 0
    assert torch.equal(tracks[group, :7], exact[group, :7])
    assert (tracks[group, 7:] - exact[group, 7:]).abs().max() > 0.1


@pytest.mark.parametrize('horizon, interval', [(3, 1), (4, 3)])
def test_tracks_do_not_depend_on_the_other_groups_or_passes(horizon, interval):
    features, queries = problem()
    cfg = PropagationConfig(memory=KeyframeMemory(horizon, interval), **OPTIONS['release'])
    tracks, peaks = track_points_with_peaks(features, queries, RASTER, cfg)
    for i in (0, 9):  # query frames 0 and 2
        alone, alone_peaks = track_points_with_peaks(features, queries[i : i + 1], RASTER, cfg)
        assert torch.equal(alone[0], tracks[i]) and torch.equal(alone_peaks[0], peaks[i])
    # a feature budget of one query frame a pass: the groups in separate passes
    split = replace(cfg, max_memory_mb=0.001)
    assert torch.equal(track_points_with_peaks(features, queries, RASTER, split)[0], tracks)


def _counting(matcher, calls):
    """Record the memory frames of every match call of ``matcher`` (this instance only)."""
    match, match_joint = matcher.match, matcher.match_joint

    def counted_match(target, memories, topk):
        calls.append([id(m) for m in memories])
        return match(target, memories, topk)

    def counted_joint(target, memories, topk):
        calls.append([id(m) for m in memories])
        return match_joint(target, memories, topk)

    matcher.match, matcher.match_joint = counted_match, counted_joint


def _stream_with_a_group_a_frame(memory, frames, monkeypatch):
    """A group of 2 labels seeded at every frame; per frame, the memory frames
    matched and the merges (label averages) made."""
    features, _ = problem()
    cfg = PropagationConfig(precede_frames=2, matcher=LocalMatcher(neighbor_range=6), memory=memory)
    calls, merges = [], []
    _counting(cfg.matcher, calls)
    plain = stream_module.weighted_labels

    def counted_weighted_labels(joint, labels, temperature):
        merges[-1] += 1
        return plain(joint, labels, temperature)

    monkeypatch.setattr(stream_module, 'weighted_labels', counted_weighted_labels)
    stream = StreamPropagation(cfg)
    g = torch.Generator().manual_seed(0)
    matched = []
    for t in range(frames):
        calls.clear()
        merges.append(0)
        stream.step(t, features[t], {t: torch.rand(2, 8, 10, generator=g)})
        assert len(calls) <= 1
        frames_matched = calls[0] if calls else []
        assert len(set(frames_matched)) == len(frames_matched)  # each frame matched once
        matched.append(len(frames_matched))
    return matched, merges, stream


def test_groups_past_the_keyframe_share_one_match_and_merge_a_frame(monkeypatch):
    horizon, interval, frames = 4, 3, 16
    matched, merges, stream = _stream_with_a_group_a_frame(
        KeyframeMemory(horizon, interval), frames, monkeypatch
    )
    for t in range(1, frames):
        keyframe = (t - horizon) // interval * interval
        if keyframe < 0:  # no group has switched yet: every seed frame is matched
            assert matched[t] == t and merges[t] == t
            continue
        # the keyframe and every frame since: the unpooled groups' seed frames
        # (the 2 recent frames among them); one merge for the pooled groups
        unpooled = t - 1 - keyframe
        assert matched[t] == t - keyframe
        assert merges[t] == unpooled + 1
    assert max(matched) <= horizon + interval
    assert len(stream.held_frames) <= horizon + interval + 1
    exact, exact_merges, _ = _stream_with_a_group_a_frame(ExactMemory(), frames, monkeypatch)
    assert exact == list(range(frames)) and exact_merges == list(range(frames))


def test_removing_pooled_labels_leaves_the_others_unchanged():
    features, _ = problem()
    cfg = PropagationConfig(precede_frames=2, memory=KeyframeMemory(horizon=3, interval=2))
    seeds = {t: torch.rand(3, 8, 10, generator=torch.Generator().manual_seed(t)) for t in (0, 1)}
    full, part = StreamPropagation(cfg), StreamPropagation(cfg)
    for t in range(12):
        new = {t: seeds[t]} if t in seeds else {}
        kept = {t: seeds[t][[0, 2]]} if t == 0 else new
        got = dict(full.step(t, features[t], new))
        other = dict(part.step(t, features[t], kept))
        if t == 6:  # group 0 is pooled by then
            assert 0 not in part.groups and 0 in part
            part.keep_labels(0, torch.tensor([False, True]))
            part.keep_labels(1, torch.tensor([1]))
        if t > 6:
            assert torch.equal(other[0], got[0][[2]])
            assert torch.equal(other[1], got[1][[1]])
    part.keep_labels(0, torch.tensor([], dtype=torch.long))
    part.keep_labels(1, torch.tensor([], dtype=torch.long))
    assert part.keys == [] and 0 not in part
    assert len(part.held_frames) == cfg.precede_frames


def test_memory_options_are_checked():
    cfg = PropagationConfig.from_dict(
        dict(precede_frames=5, memory=dict(type='KeyframeMemory', horizon=10, interval=4))
    )
    assert isinstance(cfg.memory, KeyframeMemory) and cfg.memory.horizon == 10
    assert isinstance(PropagationConfig().memory, ExactMemory)
    with pytest.raises(ValueError, match='horizon .5. must exceed .* precede_frames .5.'):
        PropagationConfig(precede_frames=5, memory=KeyframeMemory(horizon=5))
    with pytest.raises(ValueError, match="'interval' must be >= 1"):
        KeyframeMemory(horizon=10, interval=0)
    with pytest.raises(TypeError, match='memory must be a MemoryPolicy'):
        PropagationConfig(memory='KeyframeMemory')
    with pytest.raises(KeyError, match='NoMemory'):
        PropagationConfig.from_dict(dict(memory=dict(type='NoMemory')))
