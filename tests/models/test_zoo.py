"""The model zoo's manifest and files (fgvc.models.zoo): reading, writing,
the sha256 check, the folder override, and the package's own zoo."""

import hashlib
import json
from importlib import resources

import pytest

from fgvc.models.zoo import (
    MANIFEST,
    ZOO_ENV,
    HashMismatchError,
    Zoo,
    ZooError,
    add_model,
    sha256_of,
    zoo_location,
)

CONTENT = b'not really weights, but bytes with a known hash'
ENCODER = {'type': 'ResNet', 'depth': 18, 'base_channels': 32, 'strides': [1, 1, 1, 4]}


def entry(file: str = 'm.safetensors', content: bytes = CONTENT) -> dict:
    return {'file': file, 'sha256': hashlib.sha256(content).hexdigest(), 'encoder': ENCODER}


@pytest.fixture
def zoo_dir(tmp_path):
    (tmp_path / 'm.safetensors').write_bytes(CONTENT)
    add_model(tmp_path, 'm', entry())
    return tmp_path


def test_sha256_of_matches_hashlib(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(CONTENT * 100_000)  # several read chunks
    assert sha256_of(path) == hashlib.sha256(CONTENT * 100_000).hexdigest()


def test_first_model_becomes_the_default_and_later_ones_only_when_asked(zoo_dir):
    assert Zoo(zoo_dir).default.name == 'm'
    (zoo_dir / 'n.safetensors').write_bytes(b'other')
    add_model(zoo_dir, 'n', entry('n.safetensors', b'other'))
    zoo = Zoo(zoo_dir)
    assert (zoo.names, zoo.default.name) == (['m', 'n'], 'm')
    add_model(zoo_dir, 'n', entry('n.safetensors', b'other'), make_default=True)
    assert Zoo(zoo_dir).default.name == 'n'
    saved = json.loads((zoo_dir / MANIFEST).read_text())
    assert saved['default'] == 'n' and sorted(saved['models']) == ['m', 'n']


def test_model_record_gives_config_options_and_its_short_hash(zoo_dir):
    model = Zoo(zoo_dir).get('m')
    assert model.options == {
        'model.backbone.depth': 18,
        'model.backbone.base_channels': 32,
        'model.backbone.strides': (1, 1, 1, 4),  # a config tuple again
    }
    assert model.encoder_type == 'ResNet'
    assert model.short_sha256 == hashlib.sha256(CONTENT).hexdigest()[:12]
    assert model.describe() == (
        f'zoo model m (sha256 {model.short_sha256}, {zoo_dir / "m.safetensors"})'
    )


def test_verified_file_checks_the_hash_and_names_both(zoo_dir):
    model = Zoo(zoo_dir).get('m')
    with model.verified_file() as path:
        assert path.read_bytes() == CONTENT
    damaged = bytearray(CONTENT)
    damaged[3] ^= 1
    (zoo_dir / 'm.safetensors').write_bytes(bytes(damaged))
    with pytest.raises(HashMismatchError) as info:
        with model.verified_file():
            pass
    message = str(info.value)
    assert str(zoo_dir / 'm.safetensors') in message
    assert hashlib.sha256(bytes(damaged)).hexdigest() in message  # what the file has
    assert model.sha256 in message  # what the manifest records


def test_missing_file_and_missing_model_are_named(zoo_dir):
    (zoo_dir / 'm.safetensors').unlink()
    with pytest.raises(FileNotFoundError, match='m.safetensors is missing'):
        with Zoo(zoo_dir).get('m').verified_file():
            pass
    with pytest.raises(ZooError, match=r"No model 'x' .* \(it has: m\)"):
        Zoo(zoo_dir).get('x')


def test_a_folder_without_manifest_is_an_empty_zoo(tmp_path):
    zoo = Zoo(tmp_path)
    assert (zoo.names, zoo.default) == ([], None)


@pytest.mark.parametrize(
    'manifest,problem',
    [
        ('{"models": ', 'not valid json'),
        ('[]', 'must be an object with a "models" object'),
        ('{"models": {"m": {"file": "m", "encoder": {}}}}', "no 'sha256'"),
        ('{"models": {"m": {"file": "m", "sha256": "abc", "encoder": {}}}}', '64 lower-case hex'),
        (
            json.dumps({'models': {'m': dict(entry(), file='../m.safetensors')}}),
            'must be a name in the zoo folder',
        ),
        (json.dumps({'default': 'x', 'models': {'m': entry()}}), "default 'x' is not one"),
        (json.dumps({'models': {'a/b': entry()}}), 'not a valid name'),
    ],
)
def test_bad_manifests_are_refused_naming_the_file(tmp_path, manifest, problem):
    (tmp_path / MANIFEST).write_text(manifest)
    with pytest.raises(ZooError, match=problem) as info:
        Zoo(tmp_path)
    assert str(tmp_path / MANIFEST) in str(info.value)


@pytest.mark.parametrize('name', ['', '.hidden', 'a/b', 'a b', None])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match='zoo model name'):
        add_model(tmp_path, name, entry())
    assert not (tmp_path / MANIFEST).exists()


def test_location_argument_then_environment_then_package(tmp_path, monkeypatch):
    monkeypatch.setenv(ZOO_ENV, str(tmp_path / 'env'))
    assert zoo_location(tmp_path / 'arg') == tmp_path / 'arg'
    assert zoo_location() == tmp_path / 'env'
    monkeypatch.delenv(ZOO_ENV)
    assert zoo_location() == resources.files('fgvc') / 'weights'


def test_the_package_zoo_is_valid_and_its_files_match(monkeypatch):
    """The shipped manifest parses, and every file it names is there with its
    recorded sha256 (no entry yet: the loop is empty and the manifest valid)."""
    monkeypatch.delenv(ZOO_ENV)
    zoo = Zoo()
    assert (zoo.location / MANIFEST).is_file(), 'the package ships fgvc/weights/zoo.json'
    for name in zoo.names:
        model = zoo.get(name)
        with model.verified_file() as path:
            assert path.stat().st_size == model.record['size_bytes']
        assert (zoo.location / model.record['log_summary']).is_file()
