"""The demo's output folder belongs to one run: --overwrite replaces only a
folder the demo wrote, concurrent runs on one --out cannot both succeed, and
SIGTERM leaves nothing behind."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fgvc.cli.demo import main as demo_main
from fgvc.fileio import write_rgb
from fgvc.outputs.files import MANIFEST, staged_output_dir

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
FRAMES = 60
SIZE = 64
POLL_S = 0.02
WAIT_S = 300


@pytest.fixture(scope='module')
def video(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp('video') / 'frames'
    rng = np.random.default_rng(0)
    for t in range(FRAMES):
        write_rgb(str(folder / f'{t:05d}.png'), rng.integers(0, 255, (SIZE, SIZE, 3), np.uint8))
    return folder


def demo_command(video: Path, out: Path, *extra: str) -> list:
    return [
        sys.executable, 'tools/demo.py', str(video), '--config', RAW_CONFIG,
        '--queries', 'grid:4', '--out', str(out), *extra,
    ]  # fmt: skip


def run_demo(video: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        demo_command(video, out, *extra), cwd=ROOT, env=demo_env(), capture_output=True,
        text=True, timeout=WAIT_S,
    )  # fmt: skip


def start_demo(video: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        demo_command(video, out), cwd=ROOT, env=demo_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def demo_env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')


def wait_for(predicate, proc: subprocess.Popen) -> None:
    deadline = time.time() + WAIT_S
    while not predicate():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.time() < deadline
        time.sleep(POLL_S)


def staging_exists(parent: Path) -> bool:
    return any('.partial-' in p.name for p in parent.iterdir())


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob('*') if p.is_file()}


def demo_in_process(video: Path, out: Path, *extra: str) -> str:
    """tools/demo.py's main in this process: '' on success, else its one-line error."""
    try:
        demo_main(demo_command(video, out, *extra)[2:])
    except SystemExit as error:
        assert isinstance(error.code, str) and error.code.startswith('error: '), error.code
        return error.code
    return ''


def test_overwrite_refuses_a_folder_the_demo_did_not_write(video, tmp_path):
    foreign = tmp_path / 'mine'
    (foreign / 'notes').mkdir(parents=True)
    (foreign / 'notes' / 'thesis.tex').write_text('years of work')
    (foreign / 'data.csv').write_text('1,2,3')
    before = snapshot(foreign)
    error = demo_in_process(video, foreign, '--overwrite')
    assert 'not written by this tool' in error and str(foreign) in error
    assert snapshot(foreign) == before

    # a folder the demo wrote, to which the user added a file, is not replaced either
    ours = tmp_path / 'ours'
    assert demo_in_process(video, ours) == ''
    (ours / 'annotations.txt').write_text('added by hand')
    assert 'annotations.txt' in demo_in_process(video, ours, '--overwrite')
    assert (ours / 'annotations.txt').read_text() == 'added by hand'
    (ours / 'annotations.txt').unlink()
    assert demo_in_process(video, ours, '--overwrite') == ''
    listed = json.loads((ours / MANIFEST).read_text())['files']
    assert sorted(listed) == ['tracks.csv', 'tracks.mp4', 'tracks.npz']


def test_two_concurrent_demos_on_one_output_folder_cannot_both_succeed(video, tmp_path):
    out = tmp_path / 'out'
    first = start_demo(video, out)
    try:
        # the staging folder appears once the first run holds the lock
        wait_for(lambda: staging_exists(tmp_path), first)
        first.send_signal(signal.SIGSTOP)  # hold the first run while it owns the folder
        second = run_demo(video, out, '--overwrite')
    finally:
        first.send_signal(signal.SIGCONT)
    stdout, stderr = first.communicate(timeout=WAIT_S)
    assert second.returncode != 0
    assert 'Another run is writing to' in second.stderr and str(out) in second.stderr
    assert first.returncode == 0, stderr[-2000:]
    tracks = np.load(out / 'tracks.npz')['tracks']
    assert tracks.shape == (FRAMES, 16, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out']


def test_sigterm_removes_the_staging_folder(video, tmp_path):
    out = tmp_path / 'out'
    proc = start_demo(video, out)
    wait_for(lambda: staging_exists(tmp_path), proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_staging_refuses_a_manifest_that_does_not_list_every_file(tmp_path):
    out = tmp_path / 'out'
    with staged_output_dir(str(out)) as staging:
        Path(staging, 'a.txt').write_text('a')
    (out / 'sub').mkdir()
    (out / 'sub' / 'b.txt').write_text('b')
    with pytest.raises(FileExistsError, match='did not write'):
        with staged_output_dir(str(out), overwrite=True):
            pass
    assert (out / 'sub' / 'b.txt').read_text() == 'b'
