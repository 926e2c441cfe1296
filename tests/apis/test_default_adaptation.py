"""Adaptation by default: a Predictor given no step count adapts a video
tracked from a mask for the config's ``adaptation.default_steps.masks`` and
one tracked from points for ``default_steps.points`` (the shipped config: 40
and 0), exactly as the same explicit count would; an explicit count, the
ONNX encoder and a malformed default behave as documented."""

from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from fgvc.apis import Predictor
from fgvc.cli import demo
from fgvc.cli.demo import check_args, parse_args
from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.engine.adaptation import default_steps

ROOT = Path(__file__).resolve().parents[2]
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
FRAMES, HEIGHT, WIDTH = 6, 40, 56
BOX = (8, 8, 20, 16)  # x, y, w, h of the moving layer at frame 0
#: A narrow encoder and small crops keep a few steps fast; 3 default steps for masks.
SMALL = {
    'model.backbone.base_channels': 8,
    'adaptation.crop_size': (32, 32),
    'adaptation.default_steps': {'masks': 3, 'points': 0},
}


@pytest.fixture(scope='module')
def video():
    offsets = 2.0 * np.arange(FRAMES)[:, None] * np.ones(2)
    frames, ids = render(make_moving_layer_scene(HEIGHT, WIDTH, offsets, BOX, seed=1))
    mask = (ids[0] == ids[0][BOX[1] + BOX[3] // 2, BOX[0] + BOX[2] // 2]).astype(np.uint8)
    return frames, mask


def predictor(**options) -> Predictor:
    return Predictor(
        EVAL_CONFIG,
        checkpoint=None,
        short_side=None,
        cfg_options=SMALL,
        warn_untrained=False,
        **options,
    )


def test_the_shipped_config_adapts_masks_for_40_steps_and_points_not_at_all():
    adaptation = Config.fromfile(EVAL_CONFIG).adaptation
    assert default_steps(adaptation, 'masks') == 40
    assert default_steps(adaptation, 'points') == 0
    assert default_steps(None, 'masks') == 0  # a config without adaptation adapts nothing


def test_without_a_count_a_mask_video_is_adapted_for_the_configs_default_steps(video):
    frames, mask = video
    default = predictor()
    assert default.adapt_steps_for('masks') == 3 and default.adapt_steps_for('points') == 0
    masks = default.segment(frames, mask)
    np.testing.assert_array_equal(masks, predictor(adapt_steps=3).segment(frames, mask))
    # the adaptation changed something: without it the encoder's masks differ
    assert (masks != predictor(adapt_steps=0).segment(frames, mask)).any()


def test_without_a_count_points_are_tracked_unadapted_and_an_explicit_count_adapts_them(video):
    frames, _ = video
    queries = np.array([[0, 14.5, 12.5], [0, 40.5, 30.5]])
    tracks, visible = predictor()(frames, queries)
    plain = predictor(adapt_steps=0)(frames, queries)
    np.testing.assert_array_equal(tracks, plain[0])
    np.testing.assert_array_equal(visible, plain[1])
    explicit = predictor(adapt_steps=3)
    assert explicit.adapt_steps_for('points') == 3 and explicit.adapt_steps_for('masks') == 3


@pytest.mark.parametrize(
    'steps', [{'masks': -1, 'points': 0}, {'masks': 3, 'frames': 2}, {'masks': 2.5}]
)
def test_a_malformed_default_is_refused_naming_it(steps):
    with pytest.raises(ValueError, match='adaptation.default_steps'):
        Predictor(
            EVAL_CONFIG,
            checkpoint=None,
            short_side=None,
            cfg_options={**SMALL, 'adaptation.default_steps': steps},
            warn_untrained=False,
        )


def test_demo_without_adapt_leaves_the_count_to_the_config_and_checks_what_it_implies():
    args = parse_args(['clip.mp4', '--mask', 'm.png', '--save-adapted', 'a.pth'])
    check_args(args, batch=False)
    assert args.adapt is None  # the Predictor takes the config's default for masks
    points = parse_args(['clip.mp4', '--save-adapted', 'a.pth'])
    with pytest.raises(ValueError, match='--save-adapted needs --adapt'):
        check_args(points, batch=False)
    with pytest.raises(ValueError, match='--adapt-seed is used only with --adapt'):
        check_args(parse_args(['clip.mp4', '--adapt-seed', '3']), batch=False)
    onnx = parse_args(['clip.mp4', '--mask', 'm.png', '--encoder-onnx', 'e.onnx'])
    check_args(onnx, batch=False)  # the ONNX encoder is not adapted by default
    with pytest.raises(ValueError, match='--save-adapted needs --adapt'):
        check_args(
            parse_args(
                ['clip.mp4', '--mask', 'm.png', '--encoder-onnx', 'e.onnx']
                + ['--save-adapted', 'a.pth']
            ),
            batch=False,
        )


def test_a_parameter_free_encoder_is_not_adapted_by_default_and_refuses_an_explicit_count(video):
    frames, mask = video
    raw = str(ROOT / 'configs/eval/raw_patch_eval.py')  # inherits the shipped defaults
    assert Predictor(raw).adapt_steps_for('masks') == 0
    with pytest.raises(ValueError, match='RawPatchEncoder has no parameters'):
        Predictor(raw, adapt_steps=2).segment(frames, mask)


def test_save_adapted_that_nothing_would_write_is_refused(tmp_path):
    no_masks = {**SMALL, 'adaptation.default_steps': {'masks': 0, 'points': 0}}
    with pytest.raises(ValueError, match='save_adapted .*no video is adapted'):
        Predictor(
            EVAL_CONFIG,
            checkpoint=None,
            cfg_options=no_masks,
            warn_untrained=False,
            save_adapted=str(tmp_path / 'a.pth'),
        )


def test_demo_says_a_mask_run_is_adapted_and_how_to_skip_it(video, tmp_path, capsys):
    frames, mask = video
    folder = tmp_path / 'clip'
    folder.mkdir()
    for t, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f'{t:05d}.png')
    Image.fromarray(mask * 255).save(tmp_path / 'mask.png')
    small = [
        'model.backbone.base_channels=8',
        'adaptation.crop_size=[32,32]',
        'adaptation.default_steps.masks=2',
    ]
    common = ['--config', EVAL_CONFIG, '--checkpoint', 'none', '--cfg-options', *small]
    demo.main(
        [str(folder), '--mask', str(tmp_path / 'mask.png'), '--out', str(tmp_path / 'm')] + common
    )
    assert 'adapted to it for 2 steps first (--adapt 0 skips)' in capsys.readouterr().out
    demo.main([str(folder), '--out', str(tmp_path / 'p')] + common)
    assert 'adapted to it' not in capsys.readouterr().out
