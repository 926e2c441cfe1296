"""tools/benchmark.py through its main on a tiny workload: every measurement
is written, local matching scores like dense, and the encoder is timed
without replacing the model's method."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from fgvc.benchmark.end_to_end import timed_encoding
from fgvc.registry import MODELS
from fgvc.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]


def load_tool():
    spec = importlib.util.spec_from_file_location('benchmark', ROOT / 'tools/benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_tiny_run_writes_every_measurement(tmp_path, capsys):
    out = tmp_path / 'bench.json'
    argv = '--size 48 --frames 4 --points 8 --modes local dense --profile-frames 2'.split()
    load_tool().main([*argv, '--device', 'cpu', '--json', str(out)])
    result = json.loads(out.read_text())
    assert set(result['modes']) == {'local', 'dense'}
    for mode in result['modes'].values():
        assert mode['seconds'] > 0 and 0 <= mode['delta'] <= 100
    # local matching gives dense's tracks (to 0.01 px): the same <delta^x_avg
    assert result['ratios']['local_delta_diff'] == 0
    for stages in result['profile'].values():
        assert stages['match'] > 0 and 0 < stages['products'] <= 1
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == result['ratios']


def test_defaults_are_the_comparison_only():
    args = load_tool().parse_args([])
    assert (args.size, args.frames) == (192, 20)
    assert args.predictor_frames == args.vos_frames == args.spread_frames == 0
    assert args.scaling_sizes == [] and args.correlation_radius < 0


def test_the_help_says_what_the_default_run_does_and_how_long_it_takes(capsys):
    tool = load_tool()
    args = tool.parse_args([])
    with pytest.raises(SystemExit):
        tool.parse_args(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    default_run = text[text.index('With no options') :]
    for stated in (
        f'{args.points} points queried in frame 0',
        f'{args.size}x{args.size} video of {args.frames} frames',
        f'per-stage profile over {args.profile_frames} frames',
        'takes about 4 minutes',
    ):
        assert stated in default_run, stated
    assert set(args.modes) == {'local', 'coarse_to_fine', 'dense'} and not args.late_queries
    # the measured time quoted for --frames names the size it was measured at
    assert '--frames FRAMES frames of the comparison (at --size 256, 20 frames' in text


def test_timed_encoding_leaves_the_model_as_it_was():
    register_all_modules()
    model = MODELS.build(
        dict(type='PointTracker', backbone=dict(type='RawPatchEncoder', patch_size=3, stride=2))
    )
    frames = torch.rand(2, 3, 16, 16)
    plain = model.encode(frames)
    with timed_encoding(model) as seconds:
        assert torch.equal(model.encode(frames), plain)
    assert len(seconds) == 1 and seconds[0] > 0
    assert model.external_encoder is None and 'encode' not in vars(model)
