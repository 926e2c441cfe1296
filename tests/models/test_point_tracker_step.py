"""PointTracker.step: a stream of frames tracked one at a time gives the
offline tracker's forward tracks and occlusion, bit for bit."""

import numpy as np
import torch
from tiny_models import TINY_BACKBONE

from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()
SIZE, FRAMES = 40, 7


def tracker(threshold):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PointTracker',
            backbone=dict(TINY_BACKBONE),
            data_preprocessor=dict(type='VideoDataPreprocessor'),
            propagation=dict(precede_frames=2, matcher=dict(type='LocalMatcher', neighbor_range=8)),
            occlusion_threshold=threshold,
        )
    ).eval()


def test_step_equals_offline_forward_tracks_and_occlusion():
    rng = np.random.default_rng(0)
    video = torch.from_numpy(rng.integers(0, 256, (FRAMES, SIZE, SIZE, 3), np.uint8))
    xy = torch.as_tensor(rng.uniform(2, SIZE - 2, (5, 2)), dtype=torch.float32)
    query_frames = torch.tensor([0, 0, 2, 2, 2])
    for threshold in (None, 0.9):
        model = tracker(threshold)
        frames = model.data_preprocessor.normalize(video)
        # frames encoded one at a time, as the stream does
        features = torch.cat([model.encode(f[None]) for f in frames])
        queries = torch.cat([query_frames[:, None].float(), xy[:, [1, 0]]], 1)
        tracks, occluded = model.track(features, queries, (SIZE, SIZE))

        state = model.start_stream((SIZE, SIZE))
        for t in range(FRAMES):
            new = xy[query_frames == t]
            groups = model.step(state, frames[t], new if len(new) else None)
            assert [g.key for g in groups] == sorted({0, 2} & set(range(t + 1)))
            for group in groups:
                rows = (query_frames == group.key).nonzero().squeeze(1)
                assert torch.equal(group.xy, tracks[rows, t])
                assert torch.equal(~group.visible, occluded[rows, t])
        if threshold is not None:
            assert occluded.any()  # the threshold is exercised


def test_kept_points_leave_the_others_unchanged():
    rng = np.random.default_rng(1)
    video = torch.from_numpy(rng.integers(0, 256, (FRAMES, SIZE, SIZE, 3), np.uint8))
    xy = torch.as_tensor(rng.uniform(2, SIZE - 2, (4, 2)), dtype=torch.float32)
    model = tracker(0.9)
    frames = model.data_preprocessor.normalize(video)
    full, part = model.start_stream((SIZE, SIZE)), model.start_stream((SIZE, SIZE))
    for t in range(FRAMES):
        new = xy if t == 0 else None
        whole = model.step(full, frames[t], new)[0]
        if t == 3:
            part.keep_points(0, torch.tensor([0, 2]))
        kept = model.step(part, frames[t], new)[0]
        rows = [0, 2] if t >= 3 else [0, 1, 2, 3]
        assert torch.equal(kept.xy, whole.xy[rows])
        assert torch.equal(kept.visible, whole.visible[rows])
    part.keep_points(0, torch.tensor([], dtype=torch.long))
    assert not part.memory.groups and not part.query_peaks
