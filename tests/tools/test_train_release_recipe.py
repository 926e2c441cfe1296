"""The release's recipe at quickstart scale trains through tools/train.py on
generated data, and the config saved with the run (in the work dir and in
the checkpoint's meta) records the release's choices."""

import json
import os
import subprocess
import sys
from glob import glob
from pathlib import Path

import pytest
from mmengine.config import Config
from recipe_options import OPTIONS, RELEASE_BLUR, release_choice, resolved
from train_utils import REPO_ROOT, generate_tiny

from fgvc.utils import load_checkpoint

TWIN = REPO_ROOT / 'configs' / 'quickstart' / 'release_recipe_ytv_fly.py'


def tiny_release_config(path: Path, data_root: Path) -> Path:
    """The twin shrunk to seconds: 8-channel encoder, radius 3, one epoch of
    the tiny preset's 20 left-view pairs; its pipelines (64x64 crops of the
    64x64 tiny frames) are the twin's own."""
    path.write_text(f"""
_base_ = ['{TWIN}']
model = dict(radius=3, backbone=dict(base_channels=8),
             losses=dict(corr_da_loss=dict(head=dict(hidden_channels=(16, 8)))))
train_dataloader = dict(batch_size=4, dataset=dict(
    labelled=dict(data_root='{data_root}/FlyingThings3D'),
    unlabelled=dict(data_root='{data_root}/YouTube-VOS/train')))
max_epochs = 1
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
                        eta_min_ratio=1e-3, convert_to_iter_based=True)]
default_hooks = dict(logger=dict(interval=1))
log_processor = dict(window_size=1)
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
""")
    return path


def assert_release_choices(cfg: Config) -> None:
    for dotted, release, ours in OPTIONS:
        assert resolved(cfg, dotted) == release_choice(cfg, dotted, release, ours), dotted
    for side in ('labelled', 'unlabelled'):
        pipeline = cfg.train_dataloader.dataset[side].pipeline
        blurs = [dict(t, sigma=tuple(t['sigma'])) for t in pipeline if 'Blur' in t['type']]
        assert blurs == [RELEASE_BLUR], side
    assert cfg.optim_wrapper.clip_grad is None
    assert [s['type'] for s in cfg.param_scheduler] == ['CosineAnnealingLR']


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory) -> Path:
    return generate_tiny(tmp_path_factory.mktemp('tiny'))


def test_release_recipe_trains_and_its_saved_config_records_the_release_choices(
    tiny_root, tmp_path
):
    config = tiny_release_config(tmp_path / 'release_tiny.py', tiny_root)
    work_dir = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), str(config)]
        + ['--work-dir', str(work_dir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1'),
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]

    # five steps (20 pairs, 4 per batch), each with the three losses, finite
    steps = [
        json.loads(line)
        for path in glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
        for line in Path(path).read_text().splitlines()
    ]
    steps = [entry for entry in steps if 'loss' in entry]
    assert [entry['step'] for entry in steps] == [1, 2, 3, 4, 5]
    for entry in steps:
        assert {'sup_loss', 'l1_loss', 'corr_da_loss'} <= set(entry)

    assert_release_choices(Config.fromfile(str(work_dir / 'release_tiny.py')))
    meta = load_checkpoint(str(work_dir / 'epoch_1.pth'))['meta']
    assert_release_choices(Config.fromstring(meta['cfg'], '.py'))
