"""tools/convert_checkpoint.py through its main: --depth, --prefix,
--out-prefix and --trust-pickle change what is converted and saved."""

import torch
from tool_runs import crafted_checkpoint, load_tool

from fgvc.models.backbones import ResNet
from fgvc.utils import load_checkpoint


def test_depth_prefixes_and_trust_shape_the_saved_encoder(tmp_path, capsys):
    torch.manual_seed(0)
    encoder = ResNet(34).state_dict()
    marker = tmp_path / 'ran.txt'
    source = tmp_path / 'wrapped.pth'
    state = {f'net.trunk.{key}': value for key, value in encoder.items()}
    crafted_checkpoint(source, marker, dict(state_dict=state))
    out = tmp_path / 'converted.pth'
    convert = load_tool('convert_checkpoint').main
    args = [str(source), str(out), '--depth', '34', '--prefix', 'net.trunk.']
    assert convert(args) == 1  # the file holds a type only a trusted load accepts
    assert '--trust-pickle' in capsys.readouterr().err and not marker.exists()

    assert convert([*args, '--out-prefix', 'enc.', '--trust-pickle']) == 0
    assert marker.exists()
    saved = load_checkpoint(str(out))['state_dict']
    assert saved.keys() == {f'enc.{key}' for key in encoder}
    for key, value in encoder.items():
        torch.testing.assert_close(saved[f'enc.{key}'], value, rtol=0, atol=0)
    # without --prefix the wrapper's keys map nowhere; at depth 18 its extra blocks do
    capsys.readouterr()
    assert convert([str(source), str(out), '--depth', '34', '--trust-pickle']) == 1
    output = capsys.readouterr()
    assert 'missing in the checkpoint: conv1.weight' in output.out
    assert 'not saved' in output.err
    assert convert([*args[:2], '--depth', '18', '--prefix', 'net.trunk.', '--trust-pickle']) == 1
    output = capsys.readouterr()
    # ResNet-34's stages have 3, 4, 6, 3 blocks, ResNet-18's two: 96 keys of 34's extra blocks
    assert 'not saved: 96 key(s)' in output.err and "'layer1.2.conv1.weight'" in output.err
