"""Helpers of the training tests: tiny generated data and a tiny config."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
QUICKSTART_CONFIG = REPO_ROOT / 'configs' / 'quickstart' / 'mixed_train_res18_d1_l2_rec_ytv_fly.py'
TRAIN_FORMATS = ('flyingthings', 'youtube_vos', 'tapvid_davis')


def generate_tiny(out: Path) -> Path:
    """Write the tiny preset's training and TAP-Vid data under ``out``."""
    subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / 'tools/data/synthetic/generate.py'),
            '--out',
            str(out),
            '--preset',
            'tiny',
            '--formats',
            *TRAIN_FORMATS,
        ],
        check=True,
        capture_output=True,
    )
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
