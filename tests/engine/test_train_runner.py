"""Training runs end to end: two-process DDP, kill-and-resume, the train tool."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from glob import glob
from pathlib import Path

import pytest
import torch
from train_utils import REPO_ROOT, generate_tiny, train_in_process, write_tiny_config

from fgvc.utils import load_checkpoint

TRAIN = [sys.executable, str(REPO_ROOT / 'tools' / 'train.py')]


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    return generate_tiny(tmp_path_factory.mktemp('tiny'))


def env() -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1')


def run(cmd, **kwargs) -> None:
    """Run ``cmd``; on failure, fail the test with the end of its output."""
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, **{'env': env(), **kwargs}
    )
    if proc.returncode != 0:
        pytest.fail(
            f'{" ".join(map(str, cmd))} exited with {proc.returncode}:\n'
            f'{(proc.stdout + proc.stderr)[-4000:]}'
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def scalars(work_dir: Path) -> dict:
    """step -> logged training scalars, over every run in ``work_dir``."""
    out = {}
    for path in sorted(glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))):
        for line in Path(path).read_text().splitlines():
            entry = json.loads(line)
            if 'loss' in entry:
                out[entry['step']] = entry
    return out


def final_state(work_dir: Path, epoch: int) -> dict:
    return load_checkpoint(str(work_dir / f'epoch_{epoch}.pth'))['state_dict']


def test_two_process_ddp_keeps_ranks_equal(tiny_root, tmp_path):
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_root, epochs=1)
    result = tmp_path / 'result.json'
    run(
        [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--nproc_per_node=2',
            f'--master_port={free_port()}',
            str(REPO_ROOT / 'tests/dist_train_check.py'),
            str(cfg),
            str(tmp_path / 'work'),
            str(result),
        ]
    )
    out = json.loads(result.read_text())
    assert out['world_size'] == 2 and out['wrapper'] == 'MMDistributedDataParallel'
    # 20 pairs, 2 per rank and step: 5 steps
    assert out['iters'] == 5
    assert out['max_abs_diff'] == [0.0, 0.0]
    assert out['checkpoint_diff'] == 0.0


def test_dist_train_script_runs_two_processes(tiny_root, tmp_path):
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_root, epochs=1)
    work = tmp_path / 'work'
    run(
        ['bash', str(REPO_ROOT / 'tools/dist_train.sh'), str(cfg), '2', '--work-dir', str(work)],
        env=dict(env(), PORT=str(free_port())),
    )
    assert (work / 'epoch_1.pth').is_file() and (work / 'last_checkpoint').is_file()
    assert max(scalars(work)) == 5


def test_killed_run_resumes_to_the_same_parameters_and_losses(tiny_root, tmp_path):
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_root, epochs=3)
    straight, killed = tmp_path / 'straight', tmp_path / 'killed'
    train_in_process(cfg, '--work-dir', straight)  # the reference needs no process of its own

    proc = subprocess.Popen(
        TRAIN + [str(cfg), '--work-dir', str(killed)],
        env=env(),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 600
    while not (killed / 'last_checkpoint').exists() and proc.poll() is None:
        assert time.time() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / 'epoch_3.pth').exists(), 'the run finished before it was killed'
    run(TRAIN + [str(cfg), '--work-dir', str(killed), '--resume'])

    expected, resumed = final_state(straight, 3), final_state(killed, 3)
    assert expected.keys() == resumed.keys()
    for key, value in expected.items():
        torch.testing.assert_close(resumed[key], value, rtol=0, atol=0, msg=key)
    straight_log, killed_log = scalars(straight), scalars(killed)
    assert sorted(straight_log) == sorted(killed_log) == list(range(1, 31))
    for step, entry in straight_log.items():
        for name in ('loss', 'sup_loss', 'l1_loss', 'corr_da_loss', 'lr'):
            assert killed_log[step][name] == entry[name], (step, name)


def test_checkpoints_are_kept_to_the_limit_and_written_atomically(tiny_root, tmp_path):
    cfg = write_tiny_config(tmp_path / 'tiny.py', tiny_root, epochs=2)
    work = tmp_path / 'work'
    run(
        TRAIN
        + [
            str(cfg),
            '--work-dir',
            str(work),
            '--cfg-options',
            'default_hooks.checkpoint.max_keep_ckpts=1',
        ]
    )
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_2.pth']
    assert not list(work.glob('.*.pth.*')), 'temporary checkpoint files left behind'
