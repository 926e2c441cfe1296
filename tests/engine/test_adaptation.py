"""Test-time adaptation on generated video with known motion."""

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement
from tiny_models import TINY_BACKBONE

from fgvc.apis import Predictor
from fgvc.engine import adaptation_hook
from fgvc.engine.adaptation import (
    adapt_encoder,
    random_warp,
    self_supervised_losses,
    warp_with_flow,
)
from fgvc.fileio.video_reader import ArrayVideo
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).resolve().parents[2]
SIZE = 48
FRAMES = 8
SHIFT = 1.5  # pixels per frame, rightwards and downwards

ADAPTATION = dict(
    radius=3,
    crop_size=(32, 32),
    batch_size=2,
    lr=1e-3,
    frame_gaps=(1, 2),
    max_warp=3.0,
    drop_channels=(1, 2),
    losses=dict(
        sup_loss=dict(
            type='FlowSupervision',
            weight=1.0,
            loss=dict(type='FlowSoftLabelLoss', temperature=0.07, label='bilateral', sigma=1.0),
        ),
        l1_loss=dict(
            type='ColourReconstruction',
            weight=1.0,
            loss=dict(type='ReconstructionLoss', value_scale=20.0),
        ),
        corr_da_loss=dict(
            type='CorrelationAlignment',
            weight=0.05,
            head=dict(type='DomainDiscriminator', hidden_channels=(16,), grl_alpha=1.0),
        ),
    ),
)


def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth random colour texture: a sum of a few random sinusoids."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.zeros((height, width, 3))
    for _ in range(12):
        fx, fy = rng.uniform(-0.25, 0.25, size=2)
        phase = rng.uniform(0, 2 * np.pi)
        image += rng.uniform(0.2, 1.0, size=3) * np.sin(fx * xs + fy * ys + phase)[..., None]
    image -= image.min()
    return image / image.max() * 255


def moving_video() -> np.ndarray:
    """uint8 ``[T, S, S, 3]``: a window sliding over a larger texture, so the
    content moves by (-SHIFT, -SHIFT) px per frame."""
    big = texture(SIZE + 32, SIZE + 32)
    frames = []
    for t in range(FRAMES):
        offset = t * SHIFT
        ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) + offset
        y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
        wy, wx = (ys - y0)[..., None], (xs - x0)[..., None]
        frame = (
            big[y0, x0] * (1 - wy) * (1 - wx)
            + big[y0, x0 + 1] * (1 - wy) * wx
            + big[y0 + 1, x0] * wy * (1 - wx)
            + big[y0 + 1, x0 + 1] * wy * wx
        )
        frames.append(np.round(frame).astype(np.uint8))
    return np.stack(frames)


def tracker() -> torch.nn.Module:
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PointTracker',
            backbone=dict(TINY_BACKBONE),
            data_preprocessor=dict(type='VideoDataPreprocessor'),
            propagation=dict(
                matcher=dict(type='LocalMatcher', neighbor_range=12), bidirectional=False
            ),
        )
    ).eval()


def track_error(model, frames: np.ndarray) -> float:
    """Mean distance of tracked grid points to the known motion."""
    grid = np.linspace(12, SIZE - 12, 4)
    points = np.array([[0.0, y, x] for y in grid for x in grid], dtype=np.float32)
    sample = BaseDataElement(metainfo=dict(query_points=points, raster_hw=(SIZE, SIZE)))
    data = model.data_preprocessor(dict(inputs=[torch.from_numpy(frames)], data_samples=[sample]))
    with torch.no_grad():
        tracks = model(**data, mode='predict')[0].pred_tracks  # [N, T, 2] (x, y)
    truth = points[:, None, [2, 1]] - SHIFT * np.arange(FRAMES)[None, :, None]
    return float(np.linalg.norm(tracks - truth, axis=-1)[:, 1:].mean())


def linear_image(height: int, width: int, xs=None, ys=None) -> torch.Tensor:
    """A bilinear-safe texture (linear in x and y), in grey levels, sampled at
    (xs, ys) (default: the pixel centres)."""
    if xs is None:
        ys, xs = torch.meshgrid(
            torch.arange(height, dtype=torch.float32),
            torch.arange(width, dtype=torch.float32),
            indexing='ij',
        )
    return torch.stack([2.0 * xs + 1.0 * ys, 0.5 * xs + 3.0 * ys + 10.0]) + 20.0


def in_view(flow: torch.Tensor, flow_back: torch.Tensor) -> torch.Tensor:
    """Pixels whose round trip stays inside the image (bilinear support included)."""
    ones = torch.ones(1, *flow.shape[-2:])
    return warp_with_flow(warp_with_flow(ones, flow), flow_back)[0] > 1 - 1e-6


def test_affine_warp_labels_are_exact_both_ways():
    rng = np.random.default_rng(3)
    height, width = 40, 56
    image = linear_image(height, width)
    for _ in range(5):
        flow, flow_back = random_warp(height, width, max_shift=4.0, rng=rng, kind='affine')
        assert flow.abs().max() > 0.5  # a real warp, not the identity
        second = warp_with_flow(image, flow)
        back = warp_with_flow(second, flow_back)  # the second image warped back
        valid = in_view(flow, flow_back)
        assert valid.float().mean() > 0.6
        assert (back - image).abs()[:, valid].max() < 1e-3


def test_homography_warp_labels_are_exact():
    rng = np.random.default_rng(4)
    height, width = 40, 56
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float32),
        torch.arange(width, dtype=torch.float32),
        indexing='ij',
    )
    image = linear_image(height, width)
    for _ in range(5):
        flow, flow_back = random_warp(height, width, max_shift=4.0, rng=rng)
        second = warp_with_flow(image, flow)
        valid = warp_with_flow(torch.ones(1, height, width), flow)[0] > 1 - 1e-6
        assert valid.float().mean() > 0.6
        # each warped pixel holds the texture at exactly p + flow(p)
        truth = linear_image(height, width, xs + flow[0], ys + flow[1])
        assert (second - truth).abs()[:, valid].max() < 1e-3
        # and the backward flow undoes the forward one (to 0.01 px: the curved
        # backward field is read bilinearly between pixel centres)
        undone = flow + warp_with_flow(flow_back, flow)
        assert undone.abs()[:, valid].max() < 1e-2


def test_adaptation_lowers_the_loss_and_improves_tracks_and_leaves_the_caller_alone():
    frames = moving_video()
    video = ArrayVideo(frames)
    model = tracker()
    before_state = {k: v.clone() for k, v in model.state_dict().items()}
    before_loss = self_supervised_losses(model, video, ADAPTATION, seed=7)
    before_error = track_error(model, frames)

    adapted = adapt_encoder(model, video, steps=40, cfg=ADAPTATION, seed=0)

    after_loss = self_supervised_losses(adapted, video, ADAPTATION, seed=7)
    after_error = track_error(adapted, frames)
    unsupervised = ('sup_loss', 'l1_loss')
    assert sum(after_loss[k] for k in unsupervised) < sum(before_loss[k] for k in unsupervised)
    assert after_error < before_error
    for key, value in model.state_dict().items():
        assert torch.equal(value, before_state[key]), key
    assert not model.training and not model.backbone.training


def test_same_seed_same_weights_and_bad_inputs():
    video = ArrayVideo(moving_video())
    model = tracker()
    first = adapt_encoder(model, video, steps=2, cfg=ADAPTATION, seed=5).state_dict()
    second = adapt_encoder(model, video, steps=2, cfg=ADAPTATION, seed=5).state_dict()
    other = adapt_encoder(model, video, steps=2, cfg=ADAPTATION, seed=6).state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert any(not torch.equal(first[k], other[k]) for k in first)

    with pytest.raises(ValueError, match='at least 2 frames'):
        adapt_encoder(model, ArrayVideo(moving_video()[:1]), steps=2, cfg=ADAPTATION)
    with pytest.raises(ValueError, match='step count >= 0, got -1'):
        adapt_encoder(model, video, steps=-1, cfg=ADAPTATION)
    with pytest.raises(ValueError, match=r'crops 32x32 .* frames are 24x24'):
        adapt_encoder(model, video, steps=2, cfg=ADAPTATION, input_size=(24, 24))


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_frames(folder: Path, frames: np.ndarray) -> Path:
    folder.mkdir()
    for t, frame in enumerate(frames):
        cv2.imwrite(str(folder / f'{t:05d}.png'), frame[..., ::-1])
    return folder


def test_predictor_adapts_a_copy_and_saves_it(tmp_path):
    frames = np.concatenate([moving_video(), moving_video()], axis=2)[:, :, :80]  # 48 x 80
    options = {'model.backbone.base_channels': 8}
    plain = Predictor(cfg_options=options, short_side=None, warn_untrained=False)
    saved = tmp_path / 'adapted.pth'
    adapting = Predictor(
        cfg_options={**options, 'adaptation.crop_size': (32, 32)},
        short_side=None,
        warn_untrained=False,
        adapt_steps=2,
        save_adapted=str(saved),
    )
    before = {k: v.clone() for k, v in adapting.model('davis').state_dict().items()}
    queries = np.array([[0, 20.5, 20.5]])
    tracks, _ = adapting(frames, queries)
    assert tracks.shape == (FRAMES, 1, 2)
    after = adapting.model('davis').state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the loaded model is unchanged
    weights = torch.load(saved, weights_only=True)['state_dict']
    changed = [k for k in before if k.startswith('backbone.') and 'weight' in k]
    assert any(not torch.equal(weights[k], before[k]) for k in changed)
    plain_tracks, _ = plain(frames, queries)
    assert not np.array_equal(plain_tracks, tracks)  # the adapted encoder tracked


def test_demo_adapt_bad_inputs_stop_with_one_clear_error_and_no_output(tmp_path):
    demo = load_tool('demo')
    cases = [
        (write_frames(tmp_path / 'one', moving_video()[:1]), ['--adapt', '3'], 'at least 2 frames'),
        (
            write_frames(tmp_path / 'ok', moving_video()),
            ['--adapt', '-1'],
            'needs a step count >= 0, got -1',
        ),
        (  # the self-supervised losses crop (query points, adapted to their tracks, do not)
            tmp_path / 'ok',
            [
                '--adapt',
                '2',
                '--cfg-options',
                'model.backbone.base_channels=8',
                'adaptation.points=None',
            ],
            'crops 64x64 (h x w) from the encoder input, but the frames are 48x48',
        ),
    ]
    for video, flags, message in cases:
        out = tmp_path / 'out'
        with pytest.raises(SystemExit) as exit_info:
            demo.main(
                [
                    str(video),
                    '--cfg-options',
                    'model.backbone.base_channels=8',
                    '--out',
                    str(out),
                    *flags,
                ]
            )
        assert message in str(exit_info.value.code)
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith('.out')]


def test_test_loop_hook_adapts_each_video_and_restores_the_weights():
    model = tracker()
    original = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    hook = adaptation_hook.TestTimeAdaptationHook(steps=2, cfg=ADAPTATION, seed=0)
    runner = SimpleNamespace(model=model)
    batch = dict(inputs=[torch.from_numpy(moving_video())], data_samples=[None])
    hook.before_test_iter(runner, 0, batch)
    during = model.backbone.state_dict()
    assert any(not torch.equal(during[k], original[k]) for k in original)
    hook.after_test_iter(runner, 0, batch)
    restored = model.backbone.state_dict()
    assert all(torch.equal(restored[k], original[k]) for k in original)


def test_test_tool_refuses_a_negative_step_count(tmp_path, monkeypatch, capsys):
    argv = ['test.py', str(ROOT / 'configs/eval/res18_d1_eval.py'), 'none', '--task', 'davis']
    monkeypatch.setattr(sys, 'argv', [*argv, '--adapt', '-3', '--work-dir', str(tmp_path / 'w')])
    with pytest.raises(SystemExit, match='--adapt needs a step count >= 0, got -3'):
        load_tool('test').main()
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize(
    'scope',
    [
        dict(bn_stats='frozen'),
        dict(bn_stats='frozen', anchor=dict(weight=1.0, temperature=0.07)),
    ],
)
def test_adaptation_with_frozen_statistics_brings_tracks_closer_to_the_known_motion(scope):
    frames = moving_video()
    model = tracker()
    adapted = adapt_encoder(model, ArrayVideo(frames), steps=40, cfg=dict(ADAPTATION, **scope))
    assert track_error(adapted, frames) < track_error(model, frames)
