"""Helpers of the training tests: tiny generated data and a tiny config."""

import atexit
import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
QUICKSTART_CONFIG = REPO_ROOT / 'configs' / 'quickstart' / 'mixed_train_res18_d1_l2_rec_ytv_fly.py'
TRAIN_FORMATS = ('flyingthings', 'youtube_vos', 'tapvid_davis')
#: The folder :func:`generate_tiny` generated into, once per process.
_GENERATED: List[Path] = []


def generate_tiny(out: Path) -> Path:
    """Write the tiny preset's training and TAP-Vid data under ``out``. The
    generator (tools/data/synthetic/generate.py, deterministic: one preset,
    one seed) runs once per test process into a private folder; each call
    gets its own copy of that output."""
    if not _GENERATED:
        pristine = Path(tempfile.mkdtemp(prefix='fgvc_tiny_data_'))
        atexit.register(shutil.rmtree, pristine, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / 'tools/data/synthetic/generate.py'),
                '--out',
                str(pristine),
                '--preset',
                'tiny',
                '--formats',
                *TRAIN_FORMATS,
            ],
            check=True,
            capture_output=True,
        )
        _GENERATED.append(pristine)
    shutil.copytree(_GENERATED[0], out, dirs_exist_ok=True)
    return out


def write_tiny_config(
    path: Path, data_root: Path, epochs: int = 2, batch_size: int = 2, validate: bool = False
) -> Path:
    """A config inheriting the quickstart one, shrunk to seconds per epoch:
    32x32 crops, 8-channel encoder, 20 FlyingThings pairs per epoch."""
    val = (
        f"""
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='TapVidDataset', data_root='{data_root}/TAP-Vid/tapvid_davis/tapvid_davis.pkl',
                 pipeline=[dict(type='SampleTapVidQueries', query_mode='first'),
                           dict(type='PackTrackInputs')]))
val_evaluator = dict(type='TapVidMetric')
val_cfg = dict(type='ValLoop')
model = dict(propagation=dict(matcher=dict(type='LocalMatcher', neighbor_range=6), bidirectional=False))
"""
        if validate
        else ''
    )
    path.write_text(f"""
_base_ = ['{QUICKSTART_CONFIG}']
crop = (32, 32)
model = dict(radius=3, backbone=dict(base_channels=8),
             losses=dict(corr_da_loss=dict(head=dict(hidden_channels=(16, 8)))))
train_dataloader = dict(batch_size={batch_size}, dataset=dict(
    labelled=dict(data_root='{data_root}/FlyingThings3D',
                  pipeline=[dict(type='PairRandomCrop', size=crop),
                            dict(type='PairRandomFlip', prob=0.5)]),
    unlabelled=dict(data_root='{data_root}/YouTube-VOS/train',
                    pipeline=[dict(type='PairRandomCrop', size=crop),
                              dict(type='PairGaussianBlur', prob=0.5, sigma=(0.1, 1.0))])))
max_epochs = {epochs}
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min_ratio=1e-3, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(max_keep_ckpts=3))
log_processor = dict(window_size=1)
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
{val}""")
    return path


def train_in_process(*args: str) -> None:
    """``tools/train.py ARGS`` run by its ``main`` in this process, on one
    thread as the tests' tool subprocesses run (OMP_NUM_THREADS=1): the same
    arithmetic, so the same weights bit for bit."""
    spec = importlib.util.spec_from_file_location('train_tool', REPO_ROOT / 'tools' / 'train.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    argv, threads = sys.argv, torch.get_num_threads()
    sys.argv = ['train.py', *map(str, args)]
    torch.set_num_threads(1)
    try:
        tool.main()
    finally:
        sys.argv = argv
        torch.set_num_threads(threads)
