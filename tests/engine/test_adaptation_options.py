"""Test-time adaptation's options are checked in one place, naming the
option; its optimiser is mmengine's wrapper; its warps are fitted by OpenCV."""

import numpy as np
import pytest
import torch

from fgvc.engine.adaptation import adapt_encoder, check_adaptation_options
from fgvc.engine.warps import random_warp
from fgvc.fileio.video_reader import ArrayVideo
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()

OPTIONS = dict(
    radius=2,
    crop_size=(16, 16),
    batch_size=1,
    lr=1e-3,
    frame_gaps=(1, 2),
    max_warp=2.0,
    drop_channels=(1, 2),
    losses=dict(
        l1_loss=dict(
            type='ColourReconstruction',
            weight=1.0,
            loss=dict(type='ReconstructionLoss', value_scale=20.0),
        ),
    ),
)


@pytest.mark.parametrize(
    'steps, change, error, message',
    [
        (-1, {}, ValueError, 'adapt_steps needs a step count >= 0, got -1'),
        (2.5, {}, ValueError, 'step count >= 0, got 2.5'),
        (1, dict(radius=None), KeyError, r"adaptation lacks \['radius'\]"),
        (1, dict(optim_wrapper=dict(type='OptimWrapper')), KeyError, 'lr .* optim_wrapper'),
        (1, dict(frame_gaps=(3, 1)), ValueError, r'adaptation.frame_gaps .* got \(3, 1\)'),
        (1, dict(crop_size=(16,)), ValueError, 'adaptation.crop_size'),
        (1, dict(batch_size=0), ValueError, 'adaptation.batch_size'),
        (1, dict(warp='twirl'), ValueError, "adaptation.warp .* got 'twirl'"),
        (1, dict(bn_stats='running'), ValueError, "adaptation.bn_stats .* got 'running'"),
        (1, dict(trainable='layer4.'), ValueError, 'adaptation.trainable must be None'),
        (1, dict(trainable=('',)), ValueError, 'adaptation.trainable must be None'),
        (1, dict(anchor=dict(weight=1.0)), ValueError, 'adaptation.anchor must be None'),
        (1, dict(anchor=dict(weight=1.0, temperature=0)), ValueError, 'adaptation.anchor'),
    ],
)
def test_bad_options_are_named(steps, change, error, message):
    cfg = {k: v for k, v in {**OPTIONS, **change}.items() if v is not None}
    with pytest.raises(error, match=message):
        check_adaptation_options(steps, cfg, 'adapt_steps')


def test_no_config_is_needed_without_steps_and_named_with_them():
    check_adaptation_options(0, None, 'adapt_steps')
    with pytest.raises(KeyError, match='adapt_steps needs an `adaptation` dict'):
        check_adaptation_options(3, None, 'adapt_steps')


def small_tracker() -> torch.nn.Module:
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PointTracker',
            backbone=dict(
                type='ResNet', depth=18, base_channels=4, pool_type='none', out_indices=(1,)
            ),
            data_preprocessor=dict(type='VideoDataPreprocessor'),
        )
    ).eval()


def test_the_optimiser_is_the_configured_wrapper():
    video = ArrayVideo(np.random.default_rng(0).integers(0, 256, (4, 24, 24, 3), np.uint8))
    model = small_tracker()
    adam = adapt_encoder(model, video, 2, OPTIONS)
    still = dict(OPTIONS, optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0)))
    del still['lr']
    frozen = adapt_encoder(model, video, 2, still)
    convs = [k for k, v in model.backbone.state_dict().items() if k.endswith('conv1.weight')]
    before, after = model.backbone.state_dict(), frozen.backbone.state_dict()
    assert convs and all(torch.equal(before[k], after[k]) for k in convs)  # lr 0: no change
    assert any(not torch.equal(before[k], adam.backbone.state_dict()[k]) for k in convs)


def fitted_matrix(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The homography taking four points onto four others, solved directly
    (h33 = 1): the reference for OpenCV's fit."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows, float), np.array(rhs, float)), 1).reshape(3, 3)


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    mapped = np.c_[points, np.ones(len(points))] @ matrix.T
    return mapped[:, :2] / mapped[:, 2:]


@pytest.mark.parametrize('kind', ['homography', 'affine'])
def test_the_warp_flows_are_the_fitted_map_at_every_pixel(kind):
    height, width, shift = 30, 44, 3.0
    flow, flow_back = random_warp(height, width, shift, np.random.default_rng(5), kind)
    corners = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)
    moved = corners + np.random.default_rng(5).uniform(-shift, shift, size=corners.shape)
    if kind == 'affine':  # three corners drawn, the fourth follows
        moved[3] = moved[0] + moved[2] - moved[1]
    matrix = fitted_matrix(corners, moved)
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.c_[xs.ravel(), ys.ravel()].astype(float)
    for field, m in ((flow, matrix), (flow_back, np.linalg.inv(matrix))):
        expected = (apply(m, pixels) - pixels).T.reshape(2, height, width)
        np.testing.assert_allclose(field.numpy(), expected, atol=2e-3)
    assert flow.abs().max() > 0.5  # a real warp
