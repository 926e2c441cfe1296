"""tools/export.py through its main: --config, --task, --cfg-options and
--trust-pickle choose the encoder that is written."""

import pytest
import torch
from tool_runs import RAW_CONFIG, crafted_checkpoint, exit_message, load_tool

from fgvc.models.backbones import ResNet
from fgvc.models.export import OnnxEncoder

WIDTH = 8


def test_a_trusted_checkpoint_is_exported_at_the_width_cfg_options_give(tmp_path):
    torch.manual_seed(0)
    encoder = ResNet(18, base_channels=WIDTH, out_indices=(2,), strides=(1, 1, 1, 4))
    marker = tmp_path / 'ran.txt'
    ckpt = crafted_checkpoint(
        tmp_path / 'encoder.pth', marker, dict(state_dict=encoder.state_dict())
    )
    out = tmp_path / 'encoder.pt'
    export = load_tool('export').main
    args = [str(ckpt), '--format', 'torchscript', '--out', str(out)]
    args += ['--cfg-options', f'model.backbone.base_channels={WIDTH}']
    with pytest.raises(SystemExit) as error:
        export(args)
    assert '--trust-pickle' in exit_message(error) and not out.exists() and not marker.exists()
    export([*args, '--trust-pickle'])
    assert marker.exists()
    scripted = torch.jit.load(str(out))
    weights = scripted.state_dict()  # the encoder under the exported wrapper's `backbone.`
    assert weights.keys() == {f'backbone.{key}' for key in encoder.state_dict()}
    for key, value in encoder.state_dict().items():
        torch.testing.assert_close(weights[f'backbone.{key}'], value, rtol=0, atol=0, msg=key)


def test_the_config_and_task_pick_the_encoder(tmp_path):
    """A config whose vos task takes 5x5 raw patches (3x3 elsewhere): the
    exported encoder's channels are 3 Lab values per patch pixel."""
    config = tmp_path / 'patches.py'
    config.write_text(
        f'_base_ = [{RAW_CONFIG!r}]\n'
        'tasks = dict(vos=dict(model=dict(backbone=dict(patch_size=5))))\n'
    )
    export = load_tool('export').main
    frames = torch.randn(1, 3, 16, 16)
    channels = {}
    for task in ('davis', 'vos'):
        out = tmp_path / f'{task}.onnx'
        export(
            ['none', '--format', 'onnx', '--out', str(out), '--config', str(config), '--task', task]
        )
        channels[task] = OnnxEncoder(str(out))(frames).shape[1]
    assert channels == {'davis': 3 * 9, 'vos': 3 * 25}
