"""Tests of the synthetic scene generator (fgvc.datasets.synthetic)."""

import os
import pickle
from dataclasses import replace

import cv2
import numpy as np
import pytest

from fgvc.datasets.synthetic import (
    PRESETS,
    PhotometricConfig,
    generate_datasets,
    generate_tapvid_videos,
    generate_video,
    get_preset,
    kinetics_entry,
    make_translation_scene,
    render,
    seed_rng,
    video_from_scene,
    write_kinetics_shards,
    write_tapvid_pickle,
)
from fgvc.datasets.synthetic.geometry import bilinear, invert

TINY = PRESETS['tiny']
# Tiny video scene without brightness/contrast drift: colours are then exactly
# the layers' texture colours.
CLEAN = replace(TINY.video_scene, photometric=PhotometricConfig(), num_points=48)


def _same_layer_2x2(ids: np.ndarray, xy: np.ndarray, layer: int) -> bool:
    """True when the 2x2 pixels a bilinear sample at xy reads all show ``layer``."""
    h, w = ids.shape
    x0, y0 = int(np.floor(xy[0] - 0.5)), int(np.floor(xy[1] - 0.5))
    if x0 < 0 or y0 < 0 or x0 + 1 >= w or y0 + 1 >= h:
        return False
    return bool((ids[y0 : y0 + 2, x0 : x0 + 2] == layer).all())


def test_same_seed_same_bytes():
    a, b = generate_video(TINY.video_scene, 7), generate_video(TINY.video_scene, 7)
    assert a.video.tobytes() == b.video.tobytes()
    assert a.tracks.points.tobytes() == b.tracks.points.tobytes()
    assert np.array_equal(a.tracks.occluded, b.tracks.occluded)
    c = generate_video(TINY.video_scene, 8)
    assert a.video.tobytes() != c.video.tobytes()


def test_generate_tiny_is_deterministic(tmp_path):
    for run in ('a', 'b'):
        generate_datasets(str(tmp_path / run), TINY, seed=3)
    files = sorted(
        os.path.relpath(os.path.join(d, f), tmp_path / 'a')
        for d, _, fs in os.walk(tmp_path / 'a')
        for f in fs
    )
    assert 'TAP-Vid/tapvid_davis/tapvid_davis.pkl' in files
    assert 'TAP-Vid/tapvid_kinetics/0000_of_0002.pkl' in files
    for rel in files:
        assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' / rel).read_bytes(), rel


def test_video_shapes_and_types():
    cfg = TINY.video_scene
    v = generate_video(cfg, 0)
    t, h, w = cfg.num_frames, cfg.height, cfg.width
    assert v.video.shape == (t, h, w, 3) and v.video.dtype == np.uint8
    assert v.layer_ids.shape == (t, h, w)
    assert v.tracks.points.shape == (cfg.num_points, t, 2)
    assert v.tracks.points.dtype == np.float32
    assert v.tracks.occluded.shape == (cfg.num_points, t) and v.tracks.occluded.dtype == bool
    entry = v.tapvid()
    assert entry['points'].dtype == np.float32
    np.testing.assert_allclose(entry['points'] * [w, h], v.tracks.points, rtol=1e-6)


def test_tracks_follow_layer_texture():
    """The colour at a visible track point is its canonical texture colour."""
    errors, controls, at_query = [], [], []
    for seed in range(3):
        v = generate_video(CLEAN, seed)
        frames = v.video.astype(np.float64)
        tr = v.tracks
        for n in range(len(tr.points)):
            layer = v.scene.layers[tr.layers[n]]
            q = tr.query_frames[n]
            canon = (
                invert(layer.motion[q])[:, :2] @ tr.points[n, q].astype(np.float64)
                + invert(layer.motion[q])[:, 2]
            )
            colour = bilinear(layer.texture.astype(np.float64), canon)
            xq, yq = (tr.points[n, q] - 0.5).round().astype(int)
            at_query.append(np.abs(frames[q, yq, xq] - colour).max())
            for t in np.flatnonzero(~tr.occluded[n]):
                p = tr.points[n, t].astype(np.float64)
                if _same_layer_2x2(v.layer_ids[t], p, tr.layers[n]):
                    errors.append(np.abs(bilinear(frames[t], p) - colour).mean())
                    controls.append(np.abs(bilinear(frames[t], p[::-1]) - colour).mean())
    assert max(at_query) <= 1.0
    assert len(errors) > 100
    assert np.mean(errors) < 3.0
    assert np.mean(controls) > 5 * np.mean(errors)


def test_occlusion_agrees_with_layer_order():
    agree, total, late = 0, 0, 0
    for seed in range(3):
        v = generate_video(TINY.video_scene, seed)
        tr = v.tracks
        h, w = v.layer_ids.shape[1:]
        # Tracks start visible on their own layer.
        assert not tr.occluded[np.arange(len(tr.points)), tr.query_frames].any()
        late += int((tr.occluded[:, 0]).sum())
        for n, t in np.ndindex(tr.occluded.shape):
            x, y = tr.points[n, t]
            if not (0 <= x < w and 0 <= y < h):
                assert tr.occluded[n, t]
                continue
            shown = v.layer_ids[t, int(y), int(x)]
            visible_by_map = shown == tr.layers[n]
            if visible_by_map:
                # The owner is shown: nothing in front may cover the point.
                assert not tr.occluded[n, t] or not _same_layer_2x2(
                    v.layer_ids[t], tr.points[n, t], tr.layers[n]
                )
            else:
                # Another layer is shown: it must be in front, unless at an edge.
                assert shown > tr.layers[n] or not np.all(
                    v.layer_ids[t, max(int(y) - 1, 0) : int(y) + 2, max(int(x) - 1, 0) : int(x) + 2]
                    == shown
                )
            agree += int(visible_by_map != tr.occluded[n, t])
            total += 1
    assert agree / total > 0.97
    assert late > 0, 'some tracks must first appear after frame 0'


@pytest.mark.parametrize('velocity', [(2.0, -1.0), (0.75, 0.5)])
def test_translation_scene(velocity):
    scene = make_translation_scene(48, 56, 6, velocity, seed=1)
    frames, ids = render(scene)
    assert (ids == 0).all()
    v = np.asarray(velocity)
    grid = np.stack(np.meshgrid(np.arange(56), np.arange(48)), -1)[8:-8, 8:-8] + 0.5
    for t in range(5):
        moved = bilinear(frames[t + 1].astype(np.float64), grid + v)
        err = np.abs(moved - frames[t][8:-8, 8:-8]).mean()
        assert err < (0.5 if v.round().tolist() == v.tolist() else 4.0)
    video = video_from_scene(scene, seed_rng(0), CLEAN)
    steps = np.diff(video.tracks.points, axis=1)
    np.testing.assert_allclose(steps, np.broadcast_to(v, steps.shape), atol=1e-4)


def test_tapvid_davis_pickle_round_trip(tmp_path):
    entries = generate_tapvid_videos(TINY.video_scene, 0, 2)
    path = tmp_path / 'tapvid_davis.pkl'
    write_tapvid_pickle(entries, str(path))
    with open(path, 'rb') as f:
        loaded = pickle.load(f)
    assert set(loaded) == set(entries)
    for name, e in entries.items():
        for key in ('video', 'points', 'occluded'):
            assert loaded[name][key].dtype == e[key].dtype
            assert np.array_equal(loaded[name][key], e[key])
        assert ((e['points'] >= 0) | e['occluded'][..., None]).all()


def test_tapvid_kinetics_round_trip(tmp_path):
    entries = generate_tapvid_videos(TINY.video_scene, 0, 3, stream='tapvid_kinetics')
    items = [kinetics_entry(e, f'vid{i}') for i, e in enumerate(entries.values())]
    paths = write_kinetics_shards(items, str(tmp_path), 2)
    assert [os.path.basename(p) for p in paths] == ['0000_of_0002.pkl', '0001_of_0002.pkl']
    loaded = []
    for p in paths:
        with open(p, 'rb') as f:
            loaded += pickle.load(f)
    assert [d['video_id'] for d in loaded] == ['vid0', 'vid1', 'vid2']
    for d, e in zip(loaded, entries.values()):
        assert isinstance(d['video'], list) and isinstance(d['video'][0], bytes)
        frames = np.stack(
            [
                cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
                for b in d['video']
            ]
        )
        assert np.abs(frames.astype(int) - e['video']).mean() < 8.0
        assert np.array_equal(d['points'], e['points'])
        assert np.array_equal(d['occluded'], e['occluded'])


def test_presets():
    assert set(PRESETS) >= {'tiny', 'quickstart', 'full'}
    assert get_preset('full').video_scene.height == 256
    assert get_preset('full').video_scene.num_frames == 50
    with pytest.raises(KeyError):
        get_preset('nope')
