"""tools/benchmark_online.py through its main on a few frames: every option
shows in what it prints."""

import json

import numpy as np
import pytest
import torch
from tool_runs import EVAL_CONFIG, crafted_checkpoint, load_tool

from fgvc.models.backbones import ResNet

WIDTH = 8
TOLERANCE_PX = 0.05  # ONNX and PyTorch features differ by ~1e-5


def run(capsys, *args: str) -> tuple:
    """(header line, result dict) of one run of the tool's main."""
    load_tool('benchmark_online').main(list(args))
    lines = capsys.readouterr().out.strip().splitlines()
    return lines[0], json.loads(lines[-1])


def test_every_option_shows_in_the_measurement(tmp_path, capsys):
    torch.manual_seed(0)
    encoder = ResNet(18, base_channels=WIDTH, out_indices=(2,), strides=(1, 1, 1, 4))
    marker = tmp_path / 'ran.txt'
    ckpt = crafted_checkpoint(
        tmp_path / 'encoder.pth', marker, dict(state_dict=encoder.state_dict())
    )
    common = ['--config', EVAL_CONFIG, '--cfg-options', f'model.backbone.base_channels={WIDTH}']
    common += ['--short-side', '32', '--device', 'cpu', '--threads', '1', '--marks', '2', '3']
    args = ['--checkpoint', str(ckpt), *common, '--points', '4']
    with pytest.raises(ValueError, match='--trust-pickle'):
        load_tool('benchmark_online').main(args)
    assert not marker.exists()

    header, result = run(capsys, *args, '--trust-pickle', '--seed', '0')
    assert marker.exists()
    assert header == 'cpu, 1 threads: 640x360 stream, 4 points, short side 32, 3 frames'
    assert set(result['peak_rss_mb']) == {'2', '3'} and result['held_frames'] == 3
    _, same = run(capsys, *args, '--trust-pickle', '--seed', '0')
    _, other = run(capsys, *args, '--trust-pickle', '--seed', '1')
    assert same['mean_motion_px'] == result['mean_motion_px']
    assert other['mean_motion_px'] != result['mean_motion_px']  # another texture

    onnx = tmp_path / 'encoder.onnx'
    load_tool('export').main(
        [str(ckpt), '--format', 'onnx', '--out', str(onnx), '--trust-pickle', *common[2:4]]
    )
    capsys.readouterr()
    header, through_onnx = run(capsys, '--encoder-onnx', str(onnx), *common, '--points', '9')
    assert '9 points' in header
    _, pytorch = run(capsys, *args, '--trust-pickle', '--points', '9')
    np.testing.assert_allclose(
        through_onnx['mean_motion_px'], pytorch['mean_motion_px'], atol=TOLERANCE_PX
    )
