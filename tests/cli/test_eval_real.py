"""tools/eval_real.py on a generated DAVIS-layout clip with known motion: its
rows are tools/test.py runs (registered dataset, metric, records), resumable,
dumped and re-scored exactly by tools/score.py; the references are the
registered StaticTracker and DISTracker."""

import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.runner import TestLoop
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
FRAMES, HEIGHT, WIDTH = 6, 64, 96
BOX = (16, 16, 24, 32)  # top, left, height, width of the object in frame 0
STEP = 2  # px per frame, rightwards
ROWS = ('tiny', 'tiny + adapt 1', 'static', 'dis')


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
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


def eval_real(davis_root: Path, work: Path, *extra: str) -> str:
    load_tool('eval_real').main(
        [
            '--encoder', 'tiny=none',
            '--davis', str(davis_root),
            '--adapt', '1',
            '--short-side', '64',
            '--cfg-options', 'model.backbone.base_channels=8', 'adaptation.crop_size=[32,32]',
            '--work-dir', str(work),
            *extra,
        ]
    )  # fmt: skip
    return json.loads((work / 'result.json').read_text())


def test_rows_are_recorded_resumable_and_rescored_exactly(
    davis_root, tmp_path, capsys, monkeypatch
):
    work, dump = tmp_path / 'work', tmp_path / 'dump'
    result = eval_real(davis_root, work, '--out', str(work / 'result.json'), '--dump', str(dump))
    printed = capsys.readouterr().out
    assert json.loads(printed.strip().splitlines()[-1]) == result
    rows = result['results']
    assert tuple(rows) == ROWS
    assert all(0 <= row['davis_jf'] <= 1 for row in rows.values())
    # DIS flow follows a textured box sliding 2 px a frame; keeping the first
    # mask loses it
    assert rows['dis']['davis_jf'] > 0.85
    assert rows['static']['davis_jf'] < rows['dis']['davis_jf'] - 0.1
    assert result['adaptation_cost']['seconds_per_step'] > 0
    assert 'adaptation:' in printed and 's/step' in printed

    # each row is a tools/test.py run: its summary, protocol record and records
    for name, folder in zip(ROWS, ('tiny', 'tiny_adapt_1', 'static', 'dis')):
        summary = json.loads((work / folder / 'vos_summary.json').read_text())
        assert summary['J&F-Mean'] == rows[name]['davis_jf']
        records = (work / folder / 'vos_videos.rank0.jsonl').read_text().splitlines()
        assert [json.loads(line)['video_name'] for line in records] == ['slide']
    protocol = json.loads((work / 'dis/vos_summary.json').read_text())['protocol']
    assert protocol['tracker'] == 'DISTracker' and protocol['encoder'] is None

    # re-scored from the dumped masks by tools/score.py: the same summary
    for folder, name in (('dis', 'dis'), ('tiny', 'tiny')):
        argv = ['score.py', 'vos', str(dump / folder / 'vos'), '--data-root', str(davis_root)]
        argv += ['--work-dir', str(tmp_path / 'rescored' / folder), '--cfg-options']
        argv += ['test_dataloader.dataset.split=dev', 'test_dataloader.dataset.resolution=240p']
        monkeypatch.setattr(sys, 'argv', argv)
        load_tool('score').main()
        rescored = json.loads((tmp_path / 'rescored' / folder / 'vos_summary.json').read_text())
        assert rescored['J&F-Mean'] == rows[name]['davis_jf']

    # resumed: the finished videos are kept, not tracked again (their ground
    # truth is read to check its fingerprint; no test iteration may run)
    def tracked_again(*args, **kwargs):
        raise AssertionError('a finished video was tracked again')

    monkeypatch.setattr(TestLoop, 'run_iter', tracked_again)
    again = eval_real(davis_root, work, '--out', str(work / 'result.json'), '--resume')
    assert again['results'] == rows


def test_bad_arguments_are_named(davis_root):
    tool = load_tool('eval_real')
    with pytest.raises(SystemExit, match='NAME=CKPT'):
        tool.main(['--encoder', 'nocheckpoint', '--davis', str(davis_root)])
    with pytest.raises(SystemExit, match='not found: .*missing.pth'):
        tool.main(['--encoder', 'a=missing.pth', '--davis', str(davis_root)])
    with pytest.raises(SystemExit, match='Nothing to evaluate'):
        tool.main(['--encoder', 'a=none'])
    with pytest.raises(SystemExit, match='step count >= 0'):
        tool.main(['--encoder', 'a=none', '--davis', str(davis_root), '--adapt', '-2'])
