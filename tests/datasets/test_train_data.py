"""Training datasets and flow-aware pair transforms."""

import shutil
from glob import glob

import cv2
import numpy as np
import pytest
import torch
from train_utils import generate_tiny

from fgvc.datasets import FlyingThingsPairs, MixedPairs, YouTubeVOSPairs
from fgvc.datasets.transforms import (
    PairGaussianBlur,
    PairRandomCrop,
    PairRandomFlip,
    PairRandomResizedCrop,
    PairResize,
)
from fgvc.utils import register_all_modules

register_all_modules()


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    return generate_tiny(tmp_path_factory.mktemp('tiny'))


def warp_error(item: dict) -> float:
    """Mean |target - reference sampled at p + flow| over pixels whose flow
    the backward flow undoes (non-occluded)."""
    ref, tgt = item['imgs'].astype(np.float32)
    flow, back = item['flow'], item['flow_back']
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = xs + flow[..., 0], ys + flow[..., 1]
    warped = cv2.remap(ref, mx, my, cv2.INTER_LINEAR)
    back_at = cv2.remap(back, mx, my, cv2.INTER_LINEAR)
    ok = (
        (np.abs(flow + back_at).sum(-1) < 0.5)
        & (mx >= 1)
        & (mx <= w - 2)
        & (my >= 1)
        & (my <= h - 2)
    )
    assert ok.mean() > 0.3
    return float(np.abs(warped - tgt)[ok].mean())


def test_flyingthings_pairs_both_directions_follow_the_flow(tiny_root):
    ds = FlyingThingsPairs(str(tiny_root / 'FlyingThings3D'), pipeline=[])
    num_seqs = len(glob(str(tiny_root / 'FlyingThings3D/frames_cleanpass_webp/TRAIN/A/*')))
    frames_per_seq = len(
        glob(str(tiny_root / 'FlyingThings3D/frames_cleanpass_webp/TRAIN/A/0000/left/*'))
    )
    assert len(ds) == num_seqs * (frames_per_seq - 1) * 2
    forward, backward = ds[0], ds[1]
    assert forward['sources'] == backward['sources'][::-1]
    for item in (forward, backward):
        assert item['imgs'].shape[0] == 2 and item['flow'].shape == item['imgs'].shape[1:3] + (2,)
        error = warp_error(item)
        still = float(np.abs(item['imgs'][0].astype(np.float32) - item['imgs'][1]).mean())
        assert error < 0.5 * still


@pytest.mark.parametrize(
    'transform',
    [
        PairRandomCrop(size=(40, 48)),
        PairResize(size=(96, 80)),
        PairRandomFlip(prob=1.0),
        PairRandomResizedCrop(size=(48, 48), area=(0.5, 0.8), aspect_ratio=(0.8, 1.25)),
        PairGaussianBlur(prob=1.0, sigma=(1.0, 1.0)),
    ],
)
def test_geometric_transforms_keep_flow_consistent(tiny_root, transform):
    ds = FlyingThingsPairs(str(tiny_root / 'FlyingThings3D'), pipeline=[])
    item = ds[0]
    before = {k: item[k].copy() for k in ('imgs', 'flow', 'flow_back')}
    np.random.seed(0)
    out = transform(dict(item))
    assert out['imgs'].shape[1:3] == out['flow'].shape[:2] == out['flow_back'].shape[:2]
    if isinstance(transform, PairGaussianBlur):
        assert np.array_equal(out['flow'], before['flow'])
        assert not np.array_equal(out['imgs'], before['imgs'])
        return
    still = float(np.abs(out['imgs'][0].astype(np.float32) - out['imgs'][1]).mean())
    assert warp_error(out) < 0.5 * still
    if isinstance(transform, PairRandomFlip):
        np.testing.assert_allclose(out['flow'][:, ::-1, 0], -before['flow'][..., 0])
        np.testing.assert_allclose(out['flow'][:, ::-1, 1], before['flow'][..., 1])
    if isinstance(transform, PairResize):
        scale = 80 / before['flow'].shape[1]
        assert np.abs(out['flow'][..., 0]).max() == pytest.approx(
            np.abs(before['flow'][..., 0]).max() * scale, rel=0.1
        )


def test_flyingthings_flow_count_mismatch_names_the_sequence(tiny_root, tmp_path):
    root = tmp_path / 'FlyingThings3D'
    shutil.copytree(tiny_root / 'FlyingThings3D', root)
    victim = sorted(glob(str(root / 'optical_flow/TRAIN/A/0001/into_past/left/*.pfm')))[2]
    (root / victim).unlink()
    with pytest.raises(
        ValueError,
        match=r'0001/left: \d+ frames but \d+ into_future and \d+ '
        r'into_past flows',
    ):
        FlyingThingsPairs(str(root), pipeline=[])


def test_mixed_pairs_pack_one_labelled_and_one_unlabelled_pair(tiny_root):
    np.random.seed(0)
    ds = MixedPairs(
        labelled=dict(
            type='FlyingThingsPairs',
            data_root=str(tiny_root / 'FlyingThings3D'),
            pipeline=[dict(type='PairRandomCrop', size=(32, 32))],
        ),
        unlabelled=dict(
            type='YouTubeVOSPairs',
            data_root=str(tiny_root / 'YouTube-VOS/train'),
            ann_file='youtube2018_train.json',
            frame_steps=(2, 3),
            pipeline=[dict(type='PairRandomCrop', size=(32, 32))],
        ),
        pipeline=[dict(type='PackMixedInputs')],
    )
    item = ds[3]
    assert item['inputs'].shape == (4, 32, 32, 3) and item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert sample.flow.shape == sample.flow_back.shape == (2, 32, 32)
    sources = sample.metainfo['sources']
    assert 'FlyingThings3D' in sources[0] and 'YouTube-VOS' in sources[2]
    # frame-step sampling: the two real frames are 2 or 3 list entries apart
    step = (int(sources[3].split('/')[-1][:5]) - int(sources[2].split('/')[-1][:5])) // 5
    assert step in (2, 3)
    assert len(ds) == len(ds.labelled)


def test_youtube_vos_rejects_bad_frame_steps(tiny_root):
    with pytest.raises(ValueError, match='frame_steps'):
        YouTubeVOSPairs(
            str(tiny_root / 'YouTube-VOS/train'),
            'youtube2018_train.json',
            pipeline=[],
            frame_steps=(3, 1),
        )
