"""Test-time adaptation through the tools' real entry points: tools/test.py
--adapt under mmengine's TestLoop, and tools/demo.py --save-adapted reloaded
with --checkpoint at a non-default encoder width."""

import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from fgvc.datasets.synthetic import generate_datasets, get_preset

ROOT = Path(__file__).resolve().parents[2]
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
#: A narrow encoder (the default is 64 channels) and small crops for small frames.
NARROW = 'model.backbone.base_channels=8'
SMALL_CROPS = 'adaptation.crop_size=[32,32]'


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tapvid_pickle(tmp_path_factory) -> str:
    """The tiny preset's generated TAP-Vid-DAVIS videos (what
    ``tools/data/synthetic/generate.py --preset tiny`` writes for that format)."""
    out = tmp_path_factory.mktemp('synthetic')
    generate_datasets(str(out), get_preset('tiny'), seed=0, formats=['tapvid_davis'])
    return str(out / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl')


def run_test_tool(monkeypatch, pickle: str, work: Path, *extra: str) -> dict:
    argv = [EVAL_CONFIG, 'none', '--task', 'davis', '--data-root', pickle]
    argv += ['--work-dir', str(work), '--dump', str(work / 'dump'), *extra]
    argv += ['--cfg-options', NARROW, SMALL_CROPS, 'model.data_preprocessor.input_size=(64,64)']
    monkeypatch.setattr(sys, 'argv', ['test.py', *argv])
    load_tool('test').main()
    return json.loads((work / 'davis_summary.json').read_text())


def test_test_tool_adapts_each_video_through_the_test_loop(tapvid_pickle, tmp_path, monkeypatch):
    plain = run_test_tool(monkeypatch, tapvid_pickle, tmp_path / 'plain')
    adapted = run_test_tool(monkeypatch, tapvid_pickle, tmp_path / 'adapted', '--adapt', '2')
    for summary in (plain, adapted):
        assert 0 <= summary['average_pts_within_thresh'] <= 1
    videos = sorted(p.name for p in (tmp_path / 'plain/dump').iterdir())
    assert videos == sorted(p.name for p in (tmp_path / 'adapted/dump').iterdir())
    assert len(videos) == get_preset('tiny').tapvid_davis
    # every video was tracked by an encoder adapted to it: other tracks
    for name in videos:
        before = np.load(tmp_path / 'plain/dump' / name)['tracks']
        after = np.load(tmp_path / 'adapted/dump' / name)['tracks']
        assert before.shape == after.shape and not np.array_equal(before, after), name


def texture_frames(frames: int, height: int, width: int) -> np.ndarray:
    """uint8 ``[T, H, W, 3]``: a smooth random texture panning right, 2 px a frame."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (height // 4, (width + 2 * frames) // 4, 3), np.uint8)
    big = cv2.resize(small, (width + 2 * frames, height), interpolation=cv2.INTER_CUBIC)
    return np.stack([big[:, 2 * t : 2 * t + width] for t in range(frames)])


def test_demo_save_adapted_reloads_with_checkpoint_at_its_width(tmp_path):
    folder = tmp_path / 'clip'
    folder.mkdir()
    for t, frame in enumerate(texture_frames(6, 48, 80)):
        cv2.imwrite(str(folder / f'{t:05d}.png'), frame[..., ::-1])
    saved = tmp_path / 'adapted.pth'
    queries = ['--queries', '0,20.5,20.5;0,60.5,30.5', '--short-side', '48']
    demo = load_tool('demo')
    demo.main(
        [str(folder), *queries, '--out', str(tmp_path / 'adapted'), '--adapt', '2']
        + ['--save-adapted', str(saved), '--cfg-options', NARROW, SMALL_CROPS]
    )
    # no width given: the checkpoint carries its encoder's config
    demo.main(
        [str(folder), *queries, '--out', str(tmp_path / 'reloaded'), '--checkpoint', str(saved)]
    )
    first = np.load(tmp_path / 'adapted/tracks.npz')
    second = np.load(tmp_path / 'reloaded/tracks.npz')
    assert first['tracks'].shape == (6, 2, 2)
    np.testing.assert_array_equal(first['tracks'], second['tracks'])
    np.testing.assert_array_equal(first['visibility'], second['visibility'])
