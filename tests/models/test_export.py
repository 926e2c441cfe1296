"""tools/export.py: ONNX and TorchScript encoders equal PyTorch's; the Predictor
runs an ONNX encoder through onnxruntime."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from fgvc.apis import OnlineTracker, Predictor
from fgvc.models.export import OnnxEncoder

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = ['--cfg-options', 'model.backbone.base_channels=8']
SHAPES = [(1, 3, 64, 64), (3, 3, 40, 72)]  # other batch, height and width than traced


def load_tool():
    spec = importlib.util.spec_from_file_location('export_tool', ROOT / 'tools/export.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def pytorch_encoder():
    torch.manual_seed(0)
    predictor = Predictor(
        device='cpu', cfg_options={'model.backbone.base_channels': 8}, warn_untrained=False
    )
    return predictor.model('davis')


@pytest.fixture(scope='module')
def exported(tmp_path_factory, pytorch_encoder):
    """Both formats of an untrained encoder, written through the tool from a
    checkpoint of the same weights."""
    folder = tmp_path_factory.mktemp('export')
    ckpt = folder / 'encoder.pth'
    torch.save({'state_dict': pytorch_encoder.backbone.state_dict()}, ckpt)
    tool = load_tool()
    paths = {}
    for fmt, name in (('onnx', 'encoder.onnx'), ('torchscript', 'encoder.pt')):
        paths[fmt] = folder / name
        tool.main([str(ckpt), '--format', fmt, '--out', str(paths[fmt]), *OPTIONS])
    return ckpt, paths


def frames(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('shape', SHAPES)
def test_exported_encoders_match_pytorch_features(exported, pytorch_encoder, shape):
    _, paths = exported
    x = frames(shape, seed=shape[-1])
    expected = pytorch_encoder.encode(x)
    assert torch.allclose(expected.norm(dim=1), torch.ones(()), atol=1e-5)
    scripted = torch.jit.load(str(paths['torchscript']))
    with torch.no_grad():
        assert (scripted(x) - expected).abs().max() < 1e-4
    onnx_features = OnnxEncoder(str(paths['onnx']))(x)
    assert onnx_features.shape == expected.shape
    assert (onnx_features - expected).abs().max() < 1e-4


def test_predictor_with_an_onnx_encoder_gives_the_same_tracks(exported):
    ckpt, paths = exported
    gen = np.random.default_rng(0)
    video = gen.integers(0, 256, (5, 48, 64, 3), dtype=np.uint8)
    queries = np.array([[0, 20.5, 30.5], [2, 40.0, 10.0]])
    results = []
    for onnx in (None, str(paths['onnx'])):
        predictor = Predictor(
            checkpoint=str(ckpt),
            device='cpu',
            cfg_options={'model.backbone.base_channels': 8},
            encoder_onnx=onnx,
        )
        results.append(predictor(video, queries))
    assert isinstance(predictor.model('davis').external_encoder, OnnxEncoder)
    assert np.abs(results[0][0] - results[1][0]).max() < 1e-3
    assert (results[0][1] == results[1][1]).all()
    # the online tracker runs the same ONNX encoder
    tracker = OnlineTracker(predictor)
    tracker.add_points(queries[:1, 1:])
    online = [tracker.step(frame)[1][0] for frame in video]
    assert np.abs(np.array(online) - results[0][0][:, 0]).max() < 1e-3


def test_bad_inputs_are_named(tmp_path, exported, capsys):
    _, paths = exported
    not_onnx = tmp_path / 'bad.onnx'
    not_onnx.write_bytes(b'not a model')
    with pytest.raises(ValueError, match='bad.onnx'):
        OnnxEncoder(str(not_onnx))
    tool = load_tool()
    with pytest.raises(SystemExit, match='missing.pth'):
        tool.main([str(tmp_path / 'missing.pth'), '--format', 'onnx', '--out', 'x.onnx'])
    with pytest.raises(SystemExit):
        tool.main(['none', '--format', 'tflite', '--out', 'x'])
    assert 'invalid choice' in capsys.readouterr().err
