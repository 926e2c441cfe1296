"""tools/eval_real.py on a generated DAVIS-layout clip with known motion."""

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FRAMES, HEIGHT, WIDTH = 6, 64, 96
BOX = (16, 16, 24, 32)  # top, left, height, width of the object in frame 0
STEP = 2  # px per frame, rightwards


def load_tool():
    spec = importlib.util.spec_from_file_location('eval_real', ROOT / 'tools/eval_real.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def textured(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 4, width // 4, 3)).astype(np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope='module')
def davis_root(tmp_path_factory) -> Path:
    """One sequence: a textured box sliding right over a textured background."""
    root = tmp_path_factory.mktemp('davis')
    background, box = textured(HEIGHT, WIDTH, 0), textured(BOX[2], BOX[3], 1)
    frames_dir = root / 'JPEGImages' / '240p' / 'slide'
    masks_dir = root / 'Annotations' / '240p' / 'slide'
    frames_dir.mkdir(parents=True)
    masks_dir.mkdir(parents=True)
    lines = []
    for t in range(FRAMES):
        top, left = BOX[0], BOX[1] + STEP * t
        frame, mask = background.copy(), np.zeros((HEIGHT, WIDTH), np.uint8)
        frame[top : top + BOX[2], left : left + BOX[3]] = box
        mask[top : top + BOX[2], left : left + BOX[3]] = 255
        cv2.imwrite(str(frames_dir / f'{t:05d}.png'), frame[..., ::-1])
        Image.fromarray(mask, mode='L').save(masks_dir / f'{t:05d}.png')
        lines.append(f'/JPEGImages/240p/slide/{t:05d}.png /Annotations/240p/slide/{t:05d}.png')
    (root / 'ImageSets' / '240p').mkdir(parents=True)
    (root / 'ImageSets' / '240p' / 'dev.txt').write_text('\n'.join(lines) + '\n')
    return root


def test_table_json_and_references_follow_the_known_motion(davis_root, tmp_path, capsys):
    tool = load_tool()
    out = tmp_path / 'result.json'
    tool.main(
        [
            '--encoder', 'tiny=none',
            '--davis', str(davis_root),
            '--adapt', '1',
            '--short-side', '64',
            '--cfg-options', 'model.backbone.base_channels=8', 'adaptation.crop_size=[32,32]',
            '--out', str(out),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert json.loads(printed.strip().splitlines()[-1]) == result
    rows = result['results']
    assert set(rows) == {'tiny', 'tiny + adapt 1', 'static', 'dis'}
    assert all(0 <= row['davis_jf'] <= 1 for row in rows.values())
    # DIS flow follows a textured box sliding 2 px a frame; keeping the first
    # mask loses it
    assert rows['dis']['davis_jf'] > 0.85
    assert rows['static']['davis_jf'] < rows['dis']['davis_jf'] - 0.1
    assert result['adaptation_cost']['seconds_per_step'] > 0
    assert 'adaptation:' in printed and 's/step' in printed


def test_dis_points_follow_a_translation():
    tool = load_tool()
    background = textured(HEIGHT, WIDTH + STEP * FRAMES, 2)
    frames = np.stack([background[:, STEP * t : STEP * t + WIDTH] for t in range(FRAMES)])
    queries = np.array([[0, 40.5, 30.5], [2, 60.5, 20.5]], np.float32)
    tracks = tool.dis_points(frames, queries)  # content moves left by STEP
    t = np.arange(FRAMES)[:, None]
    expected_x = queries[None, :, 1] - STEP * (t - queries[None, :, 0])
    assert np.abs(tracks[..., 0] - expected_x).max() < 0.5
    assert np.abs(tracks[..., 1] - queries[None, :, 2]).max() < 0.5


def test_bad_arguments_are_named(davis_root):
    tool = load_tool()
    with pytest.raises(SystemExit, match='NAME=CKPT'):
        tool.main(['--encoder', 'nocheckpoint', '--davis', str(davis_root)])
    with pytest.raises(SystemExit, match='not found: .*missing.pth'):
        tool.main(['--encoder', 'a=missing.pth', '--davis', str(davis_root)])
    with pytest.raises(SystemExit, match='Nothing to evaluate'):
        tool.main(['--encoder', 'a=none'])
    with pytest.raises(SystemExit, match='step count >= 0'):
        tool.main(['--encoder', 'a=none', '--davis', str(davis_root), '--adapt', '-2'])
