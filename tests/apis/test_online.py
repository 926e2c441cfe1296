"""fgvc.apis.OnlineTracker: frame-by-frame tracks equal the offline Predictor's
forward tracks; points added and removed mid-stream; bounded memory."""

from pathlib import Path

import numpy as np
import pytest
import torch

from fgvc.apis import OnlineTracker, Predictor
from fgvc.datasets.synthetic import generate_video
from fgvc.datasets.synthetic.presets import VIDEO_SCENE, sized_scene

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
SIZE, FRAMES = 48, 9


@pytest.fixture(scope='module')
def video():
    return generate_video(sized_scene(VIDEO_SCENE, SIZE, FRAMES, 8), (0, SIZE)).video


@pytest.fixture(scope='module')
def predictor():
    torch.manual_seed(0)
    return Predictor(
        device='cpu', cfg_options={'model.backbone.base_channels': 8}, warn_untrained=False
    )


def random_xy(count, seed):
    return np.random.default_rng(seed).uniform(1, SIZE - 1, (count, 2))


def run_stream(tracker, video, schedule):
    """Step through ``video``; ``schedule[t]`` is called before frame t. Returns
    ``{id: {t: (x, y, visible)}}``."""
    out = {}
    for t, frame in enumerate(video):
        if t in schedule:
            schedule[t](tracker)
        ids, xy, visible = tracker.step(frame)
        assert len(ids) == len(xy) == len(visible) and ids.tolist() == tracker.ids
        for i, p, v in zip(ids.tolist(), xy, visible):
            out.setdefault(i, {})[t] = (*p, v)
    return out


def test_online_tracks_equal_offline_forward_tracks(video, predictor):
    first, later = random_xy(5, 0), random_xy(4, 1)
    queries = np.concatenate([np.c_[np.zeros(5), first], np.c_[np.full(4, 3.0), later]])
    tracks, visible = predictor(video, queries)
    online = run_stream(
        OnlineTracker(predictor),
        video,
        {0: lambda tr: tr.add_points(first), 3: lambda tr: tr.add_points(later)},
    )
    assert sorted(online) == list(range(9))
    for i, per_frame in online.items():
        start = int(queries[i, 0])
        assert sorted(per_frame) == list(range(start, FRAMES))
        for t, (x, y, v) in per_frame.items():
            assert np.abs(np.array([x, y]) - tracks[t, i]).max() < 1e-4, (i, t)
            assert v == visible[t, i], (i, t)


def test_points_added_and_removed_mid_stream_keep_ids_and_leave_others_alone(video, predictor):
    a, b = random_xy(6, 2), random_xy(3, 3)
    alone = run_stream(OnlineTracker(predictor), video, {0: lambda tr: tr.add_points(a)})
    b_alone = run_stream(OnlineTracker(predictor), video, {2: lambda tr: tr.add_points(b)})

    def add_b(tracker):
        assert tracker.add_points(b, ids=[100, 101, 102]) == [100, 101, 102]

    def remove(tracker):
        tracker.remove_points([1, 4, 101])

    tracker = OnlineTracker(predictor)
    mixed = run_stream(tracker, video, {0: lambda tr: tr.add_points(a), 2: add_b, 5: remove})
    assert tracker.ids == [0, 2, 3, 5, 100, 102]
    for i in range(6):
        frames = range(FRAMES) if i not in (1, 4) else range(5)
        assert sorted(mixed[i]) == list(frames)
        for t in frames:
            assert np.allclose(mixed[i][t], alone[i][t], atol=1e-5), (i, t)
    for j, i in enumerate((100, 101, 102)):
        frames = range(2, FRAMES) if i != 101 else range(2, 5)
        assert sorted(mixed[i]) == list(frames)
        for t in frames:
            assert np.allclose(mixed[i][t], b_alone[j][t], atol=1e-5), (i, t)
    assert tracker.add_points([[3.0, 4.0]]) == [103]  # new ids never reuse old ones


def test_memory_is_bounded_by_the_propagation_window():
    predictor = Predictor(RAW_CONFIG, device='cpu')
    tracker = OnlineTracker(predictor)
    precede = tracker.cfg.precede_frames
    frames = np.random.default_rng(0).integers(0, 256, (precede + 12, 24, 32, 3), np.uint8)
    for t, frame in enumerate(frames):
        if t in (0, 4):
            tracker.add_points([[10.0, 10.0], [20.0, 12.0]])
        if t == 9:
            tracker.remove_points([2, 3])  # the frame-4 group: its seed frame goes
        tracker.step(frame)
        recent = set(range(max(0, t - precede + 1), t + 1))
        seeds = {0} | ({4} if 4 <= t < 9 else set())
        assert tracker.stream.held_frames == sorted(recent | seeds), t


def test_bad_input_is_named(predictor):
    tracker = OnlineTracker(predictor)
    with pytest.raises(ValueError, match=r'query 0 \(0.0, nan, 1.0\) is not finite'):
        tracker.add_points([[np.nan, 1.0]])
    tracker.add_points([[1.0, 1.0]], ids=[7])
    with pytest.raises(ValueError, match='in use'):
        tracker.add_points([[2.0, 2.0]], ids=[7])
    with pytest.raises(KeyError, match='8'):
        tracker.remove_points([8])
    with pytest.raises(ValueError, match='uint8'):
        tracker.step(np.zeros((SIZE, SIZE), np.uint8))
    tracker.step(np.zeros((SIZE, SIZE, 3), np.uint8))
    with pytest.raises(ValueError, match=f'query 0: .* is outside the {SIZE}x{SIZE} frame'):
        tracker.add_points([[SIZE + 5.0, 1.0]])
    with pytest.raises(ValueError, match='started at'):
        tracker.step(np.zeros((SIZE, SIZE + 8, 3), np.uint8))
