"""No lost checkpoint: SIGKILL at every checkpoint file event, then resume;
last_checkpoint is relative, atomic and falls back; umask permissions."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from train_utils import REPO_ROOT, generate_tiny, train_in_process, write_tiny_config

from fgvc.fileio import FILE_MODE, atomic_write, current_umask
from fgvc.utils import LAST_CHECKPOINT, find_resume_checkpoint, load_checkpoint, resolve_checkpoint

KILL_AT = [sys.executable, str(REPO_ROOT / 'tests' / 'kill_at.py')]
TRAIN = str(REPO_ROOT / 'tools' / 'train.py')
KEEP_ONE = ['--cfg-options', 'default_hooks.checkpoint.max_keep_ckpts=1']
# An uninterrupted 2-epoch run with max_keep_ckpts=1 makes these, in this order.
EVENTS = [
    'replace epoch_1.pth',
    'replace last_checkpoint',
    'replace epoch_2.pth',
    'replace last_checkpoint',
    'remove epoch_1.pth',
]


@pytest.fixture(scope='module')
def tiny_cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny')
    # 20 pairs in batches of 10: 2 iterations an epoch, 2 epochs
    return write_tiny_config(root / 'tiny.py', generate_tiny(root / 'data'), 2, batch_size=10)


@pytest.fixture(scope='module')
def straight(tiny_cfg, tmp_path_factory) -> Path:
    """An uninterrupted run, recording its checkpoint file events."""
    work = tmp_path_factory.mktemp('straight') / 'work'
    done = train(tiny_cfg, work)
    assert done.returncode == 0, done.stderr[-3000:]
    return work


def train(cfg: Path, work: Path, *extra: str, kill_at: int = -1) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1')
    return subprocess.run(
        KILL_AT
        + [str(kill_at), str(work) + '.events', TRAIN, str(cfg), '--work-dir', str(work)]
        + KEEP_ONE
        + list(extra),
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def weights(work: Path) -> dict:
    return load_checkpoint(str(work / 'epoch_2.pth'))['state_dict']


def test_sigkill_at_every_checkpoint_event_then_resume_gives_the_uninterrupted_result(
    tiny_cfg, straight, tmp_path
):
    assert Path(str(straight) + '.events').read_text().splitlines() == EVENTS
    expected = weights(straight)
    works = [tmp_path / f'killed_{kill_at}' for kill_at in range(len(EVENTS))]
    # the killed runs are independent one-thread processes: two at a time
    with ThreadPoolExecutor(max_workers=2) as pool:
        kills = list(pool.map(lambda k: train(tiny_cfg, works[k], kill_at=k), range(len(EVENTS))))
    for kill_at, (event, work, killed) in enumerate(zip(EVENTS, works, kills)):
        assert killed.returncode == -9, (event, killed.stderr[-2000:])
        # at any moment after the first checkpoint, one complete checkpoint is named
        if kill_at > 1:
            assert load_checkpoint(resolve_checkpoint(str(work)))['meta']['epoch'] >= 1
        # the resume needs no process of its own: tools/train.py's main, here
        train_in_process(tiny_cfg, '--work-dir', work, *KEEP_ONE, '--resume')
        result = weights(work)
        assert result.keys() == expected.keys()
        for key, value in expected.items():
            torch.testing.assert_close(result[key], value, rtol=0, atol=0, msg=f'{event}: {key}')
        assert not list(work.glob('.*.pth.*')), f'{event}: temporary checkpoint left'


def test_last_checkpoint_is_relative_and_the_work_dir_can_move(straight, tmp_path):
    work = tmp_path / 'work'
    shutil.copytree(straight, work)
    assert (work / LAST_CHECKPOINT).read_text() == 'epoch_2.pth'
    umask = current_umask()
    assert (work / 'epoch_2.pth').stat().st_mode & 0o777 == FILE_MODE & ~umask
    moved = tmp_path / 'moved'
    shutil.move(str(work), str(moved))
    assert resolve_checkpoint(str(moved)) == str(moved / 'epoch_2.pth')
    # older runs wrote absolute paths
    (moved / LAST_CHECKPOINT).write_text(str(moved / 'epoch_2.pth'))
    assert resolve_checkpoint(str(moved / LAST_CHECKPOINT)) == str(moved / 'epoch_2.pth')


def test_resume_falls_back_to_the_newest_complete_checkpoint_and_says_so(tmp_path):
    state = {'state_dict': {'w': torch.ones(2)}}
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        torch.save(state, tmp_path / name)
    (tmp_path / 'epoch_3.pth').write_bytes(b'PK\x03\x04 cut short')  # a torn write
    (tmp_path / LAST_CHECKPOINT).write_text('epoch_4.pth')
    with pytest.warns(UserWarning, match=r'epoch_4\.pth, which does not exist.*epoch_2\.pth'):
        assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')
    assert find_resume_checkpoint(str(tmp_path / 'empty_dir_missing')) is None


def test_atomic_write_uses_the_umask_and_leaves_no_temporary(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(str(tmp_path / 'a.pth'), b'data')
    finally:
        os.umask(old)
    assert (tmp_path / 'a.pth').stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ['a.pth']
