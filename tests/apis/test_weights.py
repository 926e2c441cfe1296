"""Which weights the Predictor loads (fgvc.apis.weights): the zoo's default
model, checked by sha256; explicit untrained; checkpoint files. The zoo is a
temporary one holding a model published from a checkpoint trained here
(``tiny_zoo`` in conftest.py); other tests see an empty zoo."""

import hashlib
import shutil
import warnings

import pytest
import torch
from zoo_utils import TINY_MODEL, TINY_WIDTH

from fgvc.apis import Predictor
from fgvc.apis.predictor import DEFAULT_CONFIG
from fgvc.apis.weights import resolve_weights
from fgvc.models.zoo import ZOO_ENV, HashMismatchError, Zoo, ZooError
from fgvc.utils import load_checkpoint

RAW_CONFIG = DEFAULT_CONFIG.replace('res18_d1_eval.py', 'raw_patch_eval.py')


def checkpoint_encoder(path) -> dict:
    state = load_checkpoint(str(path))['state_dict']
    return {k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')}


def build(**kwargs) -> Predictor:
    """A CPU Predictor, failing the test on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        return Predictor(device='cpu', **kwargs)


def test_default_predictor_loads_the_published_model(tiny_zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo.zoo_dir))
    model = Zoo().get(TINY_MODEL)
    predictor = build()  # no checkpoint, no --cfg-options for the 8-channel width
    assert predictor.weights.model == model
    assert not predictor.untrained and predictor.weights.fallback is None
    assert predictor.weights.description == (
        f'zoo model {TINY_MODEL} (sha256 {model.sha256[:12]}, '
        f'{tiny_zoo.zoo_dir / f"{TINY_MODEL}.safetensors"})'
    )
    backbone = predictor.model('davis').backbone
    assert backbone.conv1.out_channels == TINY_WIDTH
    trained = checkpoint_encoder(tiny_zoo.checkpoint)
    loaded = backbone.state_dict()
    assert loaded.keys() == trained.keys()
    for key, value in trained.items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0, msg=key)
    # named explicitly, the same model
    assert build(checkpoint=f'zoo:{TINY_MODEL}').weights.model == model


def test_the_published_file_alone_brings_its_width(tiny_zoo):
    """The safetensors file's metadata holds the encoder config, so it loads
    as a plain checkpoint too."""
    path = tiny_zoo.zoo_dir / f'{TINY_MODEL}.safetensors'
    predictor = build(checkpoint=str(path))
    assert predictor.weights.model is None
    assert predictor.weights.description == f'checkpoint {path}'
    assert predictor.model('davis').backbone.conv1.out_channels == TINY_WIDTH


def test_a_corrupted_file_fails_naming_it_and_both_hashes(tiny_zoo, tmp_path, monkeypatch):
    zoo_dir = tmp_path / 'zoo'
    shutil.copytree(tiny_zoo.zoo_dir, zoo_dir)
    path = zoo_dir / f'{TINY_MODEL}.safetensors'
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40  # one bit of one weight: still a readable file
    path.write_bytes(bytes(data))
    monkeypatch.setenv(ZOO_ENV, str(zoo_dir))
    recorded = Zoo().get(TINY_MODEL).sha256
    with pytest.raises(HashMismatchError) as info:
        Predictor(device='cpu')
    actual = hashlib.sha256(data).hexdigest()
    assert actual != recorded
    message = str(info.value)
    assert str(path) in message and recorded in message and actual in message


def test_none_is_untrained_without_a_warning_even_with_a_default(tiny_zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo.zoo_dir))
    for checkpoint in (None, 'none', 'None'):
        predictor = build(checkpoint=checkpoint)
        assert predictor.untrained and predictor.checkpoint is None
        assert predictor.weights.model is None and predictor.weights.fallback is None
        assert predictor.model('davis').backbone.conv1.out_channels == 64  # the config's width


def test_an_empty_zoo_leaves_the_default_untrained_with_a_warning():
    with pytest.warns(UserWarning, match='no model is shipped with this installation'):
        predictor = Predictor(device='cpu')
    assert predictor.untrained and 'zoo.json lists none' in predictor.weights.fallback
    weights = resolve_weights('default')
    assert weights.checkpoint is None and weights.description.startswith('untrained encoder')


def test_the_default_model_is_only_for_its_encoder_type(tiny_zoo, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tiny_zoo.zoo_dir))
    weightless = build(config=RAW_CONFIG)  # raw patches: nothing to load, nothing to warn
    assert weightless.weights.model is None and not weightless.untrained
    assert weightless.weights.description == 'none: the encoder has no weights'
    weights = resolve_weights('default', encoder_type='ViT')
    assert weights.checkpoint is None
    assert weights.fallback == (
        f'the shipped default {TINY_MODEL} is a ResNet encoder, the config builds a ViT'
    )
    with pytest.raises(ValueError, match=f'Zoo model {TINY_MODEL} is a ResNet encoder'):
        Predictor(RAW_CONFIG, checkpoint=f'zoo:{TINY_MODEL}', device='cpu')
    with pytest.raises(ZooError, match=rf"No model 'missing' .* \(it has: {TINY_MODEL}\)"):
        Predictor(checkpoint='zoo:missing', device='cpu')
