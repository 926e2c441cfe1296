"""tools/demo.py on many videos: one folder each, summary.csv, failures
reported while the others go on, --resume."""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from fgvc.outputs.batch import expand_videos, is_batch, output_folders
from fgvc.outputs.files import MANIFEST

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
FRAMES, HEIGHT, WIDTH = 4, 32, 48


def load_demo():
    spec = importlib.util.spec_from_file_location('demo', ROOT / 'tools/demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()


def write_frames(folder: Path, seed: int) -> Path:
    import cv2

    folder.mkdir(parents=True)
    frames = np.random.default_rng(seed).integers(0, 256, (FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / f'{t:05d}.png'), frame)
    return folder


def write_avi(path: Path, seed: int) -> Path:
    import cv2

    frames = np.random.default_rng(seed).integers(0, 256, (FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'FFV1'), 10, (WIDTH, HEIGHT))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def summary_rows(out: Path):
    with open(out / 'summary.csv', newline='') as f:
        return list(csv.DictReader(f))


@pytest.fixture
def batch(tmp_path):
    videos = tmp_path / 'videos'
    videos.mkdir()
    write_avi(videos / 'a.avi', 0)
    (videos / 'b.mp4').write_bytes(b'this is no video')
    write_avi(videos / 'c.avi', 1)
    return videos


def run_demo(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main([*argv, '--config', RAW_CONFIG, '--queries', 'grid:2', '--device', 'cpu'])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_a_corrupt_video_fails_alone_and_resume_skips_complete_outputs(batch, tmp_path, capsys):
    out = tmp_path / 'out'
    code, _, err = run_demo([str(batch), '--out', str(out)], capsys)
    assert code == 1
    errors = [line for line in err.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and 'b.mp4' in errors[0] and 'corrupt' in errors[0]
    assert sorted(p.name for p in out.iterdir()) == ['a', 'c', 'summary.csv']
    for name in ('a', 'c'):
        files = {p.name for p in (out / name).iterdir()}
        assert files == {'tracks.npz', 'tracks.csv', 'tracks.mp4', MANIFEST}
        with np.load(out / name / 'tracks.npz') as npz:
            assert npz['tracks'].shape == (FRAMES, 4, 2)
    rows = summary_rows(out)
    assert [Path(r['video']).name for r in rows] == ['a.avi', 'b.mp4', 'c.avi']
    assert [r['status'] for r in rows[::2]] == ['ok', 'ok']
    assert rows[1]['status'].startswith('failed: ValueError: ')
    assert 'corrupt' in rows[1]['status']
    assert [(r['frames'], r['points']) for r in rows] == [('4', '4'), ('', ''), ('4', '4')]
    assert [float(r['seconds']) > 0 for r in rows[::2]] == [True, True]
    assert float(rows[1]['seconds']) >= 0  # a failure may take less than the 1 ms shown

    written = {name: (out / name / 'tracks.npz').stat().st_mtime_ns for name in ('a', 'c')}
    code, stdout, err = run_demo([str(batch), '--out', str(out), '--resume'], capsys)
    assert code == 1 and err.count('error:') == 1
    assert stdout.count('skipped') >= 2
    assert {n: (out / n / 'tracks.npz').stat().st_mtime_ns for n in ('a', 'c')} == written
    rows = summary_rows(out)
    assert [r['status'] for r in rows[::2]] == ['skipped', 'skipped']
    assert [(r['frames'], r['points']) for r in rows[::2]] == [('4', '4'), ('4', '4')]


def test_a_list_file_and_several_arguments_name_videos(tmp_path, capsys):
    frames = write_frames(tmp_path / 'clips' / 'frames', 2)
    avi = write_avi(tmp_path / 'clips' / 'x.avi', 3)
    listing = tmp_path / 'clips' / 'list.txt'
    listing.write_text('# videos\nframes\nx.avi\n\n')
    assert expand_videos([str(listing)]) == [str(frames), str(avi)]
    assert is_batch([str(listing)]) and is_batch([str(frames), str(avi)])
    assert not is_batch([str(frames)]) and not is_batch([str(avi)])
    assert output_folders(['a/x.avi', 'b/x.mp4', 'c/y'], 'o') == ['o/x', 'o/x-2', 'o/y']
    out = tmp_path / 'out'
    demo.main([str(listing), '--config', RAW_CONFIG, '--out', str(out), '--queries', 'grid:2'])
    assert [r['status'] for r in summary_rows(out)] == ['ok', 'ok']
    assert (out / 'frames' / 'tracks.csv').is_file() and (out / 'x' / 'tracks.csv').is_file()
