"""The model zoo: encoder weights shipped with the package, and their manifest.

A zoo is a folder holding ``zoo.json`` and the weight files it names::

    {
      "default": "NAME",                      # or null: no default model
      "models": {
        "NAME": {
          "file": "NAME.safetensors",         # beside zoo.json
          "sha256": "<64 hex digits>",        # checked on every load
          "size_bytes": 2812345,
          "encoder": {"type": "ResNet", "depth": 18, "base_channels": 32, ...},
          ...                                 # provenance: training config, command, log
        }
      }
    }

``encoder`` is the backbone the weights fit, as the training config built it
(the keys that only matter in training left out): loading applies it to the
evaluation config, so a model of another width or depth needs no
``--cfg-options``. The package's zoo is ``fgvc/weights``, read through
:mod:`importlib.resources` so that an installed wheel finds it; the
environment variable ``FGVC_ZOO`` (or a ``zoo_dir`` argument) names another
folder instead. A folder without ``zoo.json`` is an empty zoo.

This module finds and checks files; loading them into a model is
:func:`fgvc.apis.weights.resolve_weights`, through the strict loader.
"""

import contextlib
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Union

from fgvc.fileio import atomic_write_json

try:  # Python 3.11+
    from importlib.resources.abc import Traversable
except ImportError:  # Python 3.9, 3.10
    from importlib.abc import Traversable

#: The environment variable naming a zoo folder to use instead of the package's.
ZOO_ENV = 'FGVC_ZOO'
#: The manifest's file name inside a zoo folder.
MANIFEST = 'zoo.json'
#: Where the package keeps its zoo: ``fgvc/weights``.
PACKAGE, PACKAGE_FOLDER = 'fgvc', 'weights'
#: How a checkpoint argument names a zoo model: ``zoo:NAME``.
ZOO_PREFIX = 'zoo:'
#: Hex digits of the sha256 that messages show.
SHA256_PREFIX = 12
#: What a model name may be: it names files, so no separators.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
# Bytes read at a time while hashing.
_CHUNK = 1 << 20

ZooDir = Union[str, os.PathLike, Traversable]


class ZooError(ValueError):
    """A zoo's manifest or files are not what they should be."""


class HashMismatchError(ZooError):
    """A weight file's sha256 is not the one its manifest records."""


@dataclass(frozen=True)
class ZooModel:
    """One model of a zoo: its manifest entry and the folder it lives in."""

    name: str
    file: str
    sha256: str
    encoder: Dict[str, Any]
    zoo: Traversable = field(repr=False)
    #: The whole manifest entry (provenance included).
    record: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def short_sha256(self) -> str:
        return self.sha256[:SHA256_PREFIX]

    @property
    def encoder_type(self) -> Optional[str]:
        return self.encoder.get('type')

    @property
    def options(self) -> Dict[str, Any]:
        """``--cfg-options`` that build the encoder these weights fit."""
        return {
            f'model.backbone.{key}': _as_config_value(value)
            for key, value in self.encoder.items()
            if key != 'type'
        }

    @property
    def location(self) -> str:
        """Where the weight file is, for messages."""
        return str(self.zoo / self.file)

    def describe(self) -> str:
        """``zoo model NAME (sha256 1a2b3c4d5e6f, PATH)``."""
        return f'zoo model {self.name} (sha256 {self.short_sha256}, {self.location})'

    @contextlib.contextmanager
    def verified_file(self) -> Iterator[Path]:
        """A local path of the weight file, after checking its sha256.

        Raises:
            FileNotFoundError: the manifest names a file the zoo lacks.
            HashMismatchError: naming the file and both hashes.
        """
        resource = self.zoo / self.file
        if not resource.is_file():
            raise FileNotFoundError(
                f'Zoo model {self.name}: its weight file {resource} is missing '
                f'(named by {self.zoo / MANIFEST})'
            )
        with resources.as_file(resource) as path:
            actual = sha256_of(path)
            if actual != self.sha256:
                raise HashMismatchError(
                    f'Zoo model {self.name}: {path} has sha256 {actual}, but '
                    f'{self.zoo / MANIFEST} records {self.sha256}: the file is damaged or '
                    'was replaced; restore it or publish it again (tools/publish_model.py)'
                )
            yield path


def _as_config_value(value: Any) -> Any:
    """JSON lists back to the tuples configs use (``strides=(1, 1, 1, 4)``)."""
    if isinstance(value, list):
        return tuple(_as_config_value(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_config_value(v) for k, v in value.items()}
    return value


def sha256_of(path: Union[str, os.PathLike]) -> str:
    """The sha256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def zoo_location(zoo_dir: Optional[ZooDir] = None) -> Traversable:
    """The zoo folder: ``zoo_dir``, else ``$FGVC_ZOO``, else the package's ``fgvc/weights``."""
    if zoo_dir is None:
        zoo_dir = os.environ.get(ZOO_ENV) or None
    if zoo_dir is None:
        return resources.files(PACKAGE) / PACKAGE_FOLDER
    if isinstance(zoo_dir, (str, os.PathLike)):
        return Path(zoo_dir).expanduser()
    return zoo_dir


def check_name(name: str) -> str:
    """``name`` if it can name a zoo model (it names files), else ValueError."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(
            f'A zoo model name is letters, digits, _, - and . (not first), got {name!r}'
        )
    return name


class Zoo:
    """A zoo folder and its manifest, read once.

    Args:
        zoo_dir: the folder (see :func:`zoo_location`).

    Raises:
        ZooError: the manifest is not valid json of the documented layout,
            naming the file and what is wrong.
    """

    def __init__(self, zoo_dir: Optional[ZooDir] = None) -> None:
        self.location = zoo_location(zoo_dir)
        self.manifest = read_manifest(self.location)

    @property
    def manifest_path(self) -> str:
        return str(self.location / MANIFEST)

    @property
    def names(self) -> List[str]:
        return sorted(self.manifest['models'])

    def get(self, name: str) -> ZooModel:
        """The model called ``name``; :class:`ZooError` naming the models there are."""
        entry = self.manifest['models'].get(name)
        if entry is None:
            listed = ', '.join(self.names) or 'none'
            raise ZooError(f'No model {name!r} in the zoo {self.manifest_path} (it has: {listed})')
        return ZooModel(
            name=name,
            file=entry['file'],
            sha256=entry['sha256'],
            encoder=dict(entry['encoder']),
            zoo=self.location,
            record=entry,
        )

    @property
    def default(self) -> Optional[ZooModel]:
        """The model used when none is named, or None when the zoo has none."""
        name = self.manifest['default']
        return None if name is None else self.get(name)


def _manifest_problem(manifest: Any) -> Optional[str]:
    """What is wrong with a parsed manifest, or None."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get('models'), dict):
        return 'it must be an object with a "models" object'
    for name, entry in manifest['models'].items():
        if not NAME_PATTERN.match(name):
            return f'model name {name!r} is not a valid name'
        if not isinstance(entry, dict):
            return f'model {name!r} is not an object'
        for key, kind in (('file', str), ('sha256', str), ('encoder', dict)):
            if not isinstance(entry.get(key), kind):
                return f'model {name!r} has no {key!r} ({kind.__name__})'
        if not re.fullmatch(r'[0-9a-f]{64}', entry['sha256']):
            return f'model {name!r}: sha256 must be 64 lower-case hex digits'
        if os.path.basename(entry['file']) != entry['file']:
            return f'model {name!r}: file must be a name in the zoo folder, got {entry["file"]!r}'
    default = manifest.get('default')
    if default is not None and default not in manifest['models']:
        return f'its default {default!r} is not one of its models'
    return None


def read_manifest(location: Traversable) -> Dict[str, Any]:
    """The manifest of a zoo folder (``{'default': None, 'models': {}}`` when it has none)."""
    resource = location / MANIFEST
    if not resource.is_file():
        return {'default': None, 'models': {}}
    try:
        manifest = json.loads(resource.read_text(encoding='utf-8'))
    except (ValueError, UnicodeDecodeError) as err:
        raise ZooError(f'Zoo manifest {resource} is not valid json: {err}') from None
    problem = _manifest_problem(manifest)
    if problem:
        raise ZooError(f'Zoo manifest {resource}: {problem}')
    manifest.setdefault('default', None)
    return manifest


def add_model(
    zoo_dir: Union[str, os.PathLike], name: str, entry: Dict[str, Any], make_default: bool = False
) -> Dict[str, Any]:
    """Write ``entry`` as model ``name`` into the manifest of the folder
    ``zoo_dir`` (replacing an entry of that name), atomically. The model
    becomes the default when ``make_default`` or when the zoo has none.
    Returns the new manifest."""
    location = Path(zoo_dir)
    manifest = read_manifest(location)
    manifest['models'][check_name(name)] = entry
    if make_default or manifest['default'] is None:
        manifest['default'] = name
    problem = _manifest_problem(manifest)
    if problem:
        raise ZooError(f'Refusing to write zoo manifest {location / MANIFEST}: {problem}')
    ordered = {'default': manifest['default'], 'models': dict(sorted(manifest['models'].items()))}
    atomic_write_json(str(location / MANIFEST), ordered)
    return ordered
