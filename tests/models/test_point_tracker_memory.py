"""PointTracker under a memory policy: the stream (PointTracker.step) gives
the offline tracker's forward tracks bit for bit, and 'strided' samples use
the tracker's ``strided_memory`` while 'first' samples keep the config's."""

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement
from tiny_models import TINY_BACKBONE

from fgvc.propagation import ExactMemory, KeyframeMemory
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()
SIZE, FRAMES = 40, 12
KEYFRAMES = dict(type='KeyframeMemory', horizon=3, interval=2)


def tracker(memory=None, strided_memory=None, threshold=0.9):
    torch.manual_seed(0)
    propagation = dict(precede_frames=2, matcher=dict(type='LocalMatcher', neighbor_range=8))
    if memory is not None:
        propagation['memory'] = memory
    return MODELS.build(
        dict(
            type='PointTracker',
            backbone=dict(TINY_BACKBONE),
            data_preprocessor=dict(type='VideoDataPreprocessor'),
            propagation=propagation,
            occlusion_threshold=threshold,
            strided_memory=strided_memory,
        )
    ).eval()


def inputs():
    rng = np.random.default_rng(0)
    video = torch.from_numpy(rng.integers(0, 256, (FRAMES, SIZE, SIZE, 3), np.uint8))
    xy = torch.as_tensor(rng.uniform(2, SIZE - 2, (8, 2)), dtype=torch.float32)
    query_frames = torch.tensor([0, 0, 1, 3, 3, 6, 7, 10])
    return video, xy, query_frames


def test_stream_equals_offline_under_a_keyframe_memory():
    video, xy, query_frames = inputs()
    model = tracker(memory=KEYFRAMES)
    assert isinstance(model.propagation.memory, KeyframeMemory)
    frames = model.data_preprocessor.normalize(video)
    features = torch.cat([model.encode(f[None]) for f in frames])
    queries = torch.cat([query_frames[:, None].float(), xy[:, [1, 0]]], 1)
    tracks, occluded = model.track(features, queries, (SIZE, SIZE))
    exact, _ = model.track(features, queries, (SIZE, SIZE), memory=ExactMemory())
    # groups 0 and 1 pass their keyframes (0, then 2 from frame 7 on)
    assert not torch.equal(tracks[:3, 7:], exact[:3, 7:])

    state = model.start_stream((SIZE, SIZE))
    for t in range(FRAMES):
        new = xy[query_frames == t]
        groups = model.step(state, frames[t], new if len(new) else None)
        assert [g.key for g in groups] == sorted(set(query_frames.tolist()) & set(range(t + 1)))
        for group in groups:
            rows = (query_frames == group.key).nonzero().squeeze(1)
            assert torch.equal(group.xy, tracks[rows, t])
            assert torch.equal(~group.visible, occluded[rows, t])
        if t >= 7:  # the old groups share one memory: their query frames are let go
            assert 0 not in state.memory.held_frames and 1 not in state.memory.held_frames
    assert occluded.any()  # the threshold is exercised


@pytest.mark.parametrize('query_mode', ['first', 'strided'])
def test_strided_samples_use_the_strided_memory(query_mode):
    video, xy, query_frames = inputs()
    model = tracker(strided_memory=KEYFRAMES, threshold=None)
    assert isinstance(model.propagation.memory, ExactMemory)
    frames = model.data_preprocessor.normalize(video)
    features = model.extract_features(frames)
    queries = torch.cat([query_frames[:, None].float(), xy[:, [1, 0]]], 1)
    sample = BaseDataElement(
        query_points=queries.numpy(), raster_hw=(SIZE, SIZE), query_mode=query_mode
    )
    model.predict_sample(features, sample)
    strided = query_mode == 'strided'
    memory = KeyframeMemory(3, 2) if strided else None
    expected, _ = model.track(features, queries, (SIZE, SIZE), strided, memory=memory)
    assert np.array_equal(sample.pred_tracks, expected.numpy())
    other, _ = model.track(features, queries, (SIZE, SIZE), strided, memory=ExactMemory())
    assert np.array_equal(sample.pred_tracks, other.numpy()) != strided


def test_a_strided_memory_that_does_not_suit_the_propagation_is_refused():
    with pytest.raises(ValueError, match='horizon .2. must exceed .* precede_frames .2.'):
        tracker(strided_memory=dict(type='KeyframeMemory', horizon=2))
