"""The one way checkpoints are loaded: safe unless the user trusts the file.

A ``.pth`` file is a pickle, and unpickling can run any code the file names.
Checkpoints are therefore loaded with ``torch.load(weights_only=True)``,
which builds only tensors, containers and the types allowed here: what
mmengine 0.10 puts into a checkpoint (its message hub's history buffers,
numpy arrays, scalars and dtypes) and plain training-argument namespaces
(DINO). This covers the framework's own checkpoints, resumed ones, converted
ones and plain state dicts. Any other type is refused with an error naming
the file and the type; a user who trusts the file's source passes
``--trust-pickle`` (:data:`fgvc.fileio.TRUST_FLAG`) to a tool (``trust_checkpoint=True`` to the
:class:`~fgvc.apis.Predictor`), which loads it with full unpickling after a
warning.

A ``.safetensors`` file holds tensors only and is read without unpickling
(:func:`save_weights` writes either format).

Loading weights is strict (:func:`fgvc.models.backbones.fitting.fit_state_dict`):
every weight of the module comes from the checkpoint and every key of the
checkpoint's part for that module is used, by name and shape; the one
exception, logged with its count, is a ResNet stage the model does not build
(``layer4`` of the FGVC encoder). A state dict in the authors' release layout
is converted first, with a log line naming what was mapped and dropped. It
is detected by its stem: a key ``<P>conv1.conv.weight`` whose prefix ``<P>``
is empty or ends in a dot but not in a block's name ``layerS.B.`` (mmcv's
``ConvModule`` names; torchvision, MoCo, DetCo and this framework call the
stem ``conv1.weight``), after removing DDP's ``module.`` from every key when
all have it. Which part of a checkpoint each loader reads:

- ``load_from`` and ``resume`` (:func:`load_model_state`, through
  :class:`fgvc.engine.StrictRunner`): the whole state dict fits the whole model.
- ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)``
  (:class:`StrictPretrainedInit`, which :func:`register_checkpoint_loader`
  and the StrictRunner install in mmengine's registry; the training teacher
  is loaded so): the keys under ``prefix`` when some key has it, otherwise
  (or without a prefix) the whole state dict, fit the module; the rest of
  the file is not that module's.
- an encoder for evaluation (:meth:`EncoderCheckpoint.load_into`: the
  Predictor, ``tools/test.py``, ``tools/benchmark.py``): the encoder's
  keys fit it, the training tracker's ``losses.*`` are not read, anything
  else is an error (see there).
"""

import argparse
import ast
import io
import logging
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import Any, Dict, Optional, Sequence

import numpy as np
import safetensors.torch
import torch
from mmengine.logging import print_log
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
from torch import nn

from fgvc.fileio import TRUST_FLAG, atomic_write, refused_global
from fgvc.models.backbones.fitting import (
    CheckpointMismatchError,
    listed_keys,
    load_state_dict_strictly,
)
from fgvc.models.backbones.release_layout import to_our_names

from .checkpoint_files import resolve_checkpoint

#: Backbone settings that fix the shapes of the encoder's weights.
ENCODER_SHAPE_KEYS = ('depth', 'base_channels')
#: File formats :func:`save_weights` writes and :func:`load_checkpoint` reads.
WEIGHT_FORMATS = ('pth', 'safetensors')
#: The file name ending of a safetensors file (read without unpickling).
SAFETENSORS_SUFFIX = '.safetensors'
#: The encoder's module in the trackers, and the key prefix of its weights.
ENCODER_PREFIX = 'backbone.'
#: Modules of the training tracker (:class:`fgvc.models.trackers.MixedTracker`)
#: an evaluation model does not have: its loss parts, with their heads and
#: the teacher. A release training checkpoint's teacher and correlation
#: discriminator are mapped there.
TRAINING_ONLY_PREFIXES = ('losses.',)
#: The statistics methods mmengine's HistoryBuffer pickles by reference.
HISTORY_STATISTICS = ('min', 'max', 'current', 'mean')
# numpy's array and scalar reconstructors, under numpy 2 and numpy 1 names.
_NUMPY_MODULES = ('numpy._core.multiarray', 'numpy.core.multiarray')


class UnsafeCheckpointError(ValueError):
    """A checkpoint holds a type that loading it safely does not allow."""


def _history_buffer_attribute(owner: Any, name: str) -> Any:
    """``getattr`` as a HistoryBuffer's pickle uses it (its statistics methods,
    e.g. ``getattr(HistoryBuffer, 'mean')``), and nothing else."""
    statistics = set(HISTORY_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in statistics:
        return getattr(owner, name)
    owner_name = getattr(owner, '__qualname__', type(owner).__qualname__)
    # no spaces before the end: _refused_type reads the name up to one
    raise pickle.UnpicklingError(f'Unsupported global: GLOBAL getattr({owner_name},{name!r}) ')


def _allowed_globals() -> list:
    """The types (and their pickle names) a checkpoint may hold besides tensors."""
    numpy_dtypes = [getattr(np.dtypes, name) for name in dir(np.dtypes) if name.endswith('DType')]
    multiarray = (getattr(np, '_core', None) or np.core).multiarray  # numpy 2 or 1
    reconstructors = [
        (getattr(multiarray, fn), f'{module}.{fn}')
        for module in _NUMPY_MODULES
        for fn in ('_reconstruct', 'scalar')
    ]
    return [
        HistoryBuffer,
        (_history_buffer_attribute, 'builtins.getattr'),
        np.ndarray,
        np.dtype,
        *numpy_dtypes,
        *reconstructors,
        argparse.Namespace,
    ]


def _refused_type(error: Exception, filename: str) -> Optional[str]:
    """The type or function named in torch's weights-only refusal; for a
    refusal that names none (an operation the loader does not support), the
    first global the file's pickle names that is not an array or container,
    or None when it names none."""
    message = str(error)
    for pattern in (
        r'GLOBAL (\S+) ',
        r'unrecognized function (.+?)( which|$)',
        r'but got (\S+)',
    ):
        match = re.search(pattern, message, re.MULTILINE)
        if match:
            return match.group(1)
    if zipfile.is_zipfile(filename):
        return None  # torch names the globals of its own format
    with open(filename, 'rb') as f:
        return refused_global(f.read())


def _read_error(filename: str, error: Exception) -> ValueError:
    """A one-line reason why ``filename`` is not a readable checkpoint."""
    if osp.getsize(filename) == 0:
        reason = 'the file is empty'
    elif zipfile.is_zipfile(filename) or isinstance(error, (RuntimeError, EOFError)):
        first = str(error).strip().splitlines()[0] if str(error).strip() else ''
        reason = f'truncated or corrupt ({first.split(". ")[0] or type(error).__name__})'
    else:
        reason = 'not a PyTorch checkpoint (neither a zip archive nor a pickle it can read)'
    return ValueError(f'Cannot read checkpoint {filename}: {reason}')


def load_checkpoint(filename: str, map_location: Any = 'cpu', trust: bool = False) -> Any:
    """Load a checkpoint file safely (see the module docstring).

    Args:
        filename: a local checkpoint file.
        map_location: as for :func:`torch.load`.
        trust: load a file holding other types with full unpickling, which
            runs whatever code the file names, after a warning.

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafeCheckpointError: the file holds a type outside the allow-list
            and ``trust`` is False.
        ValueError: the file is not a readable checkpoint.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint not found: {filename}')
    if filename.endswith(SAFETENSORS_SUFFIX):
        return _load_safetensors(filename)
    try:
        with torch.serialization.safe_globals(_allowed_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        refused = _refused_type(err, filename)
        if refused is None:
            raise _read_error(filename, err) from None
        if not trust:
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {filename}: it holds `{refused}`, which is not a '
                f'type a checkpoint of this framework holds, and unpickling it could run code. '
                f'If you trust where the file comes from, pass {TRUST_FLAG} '
                f'(trust_checkpoint=True for the Predictor) to load it anyway.'
            ) from None
        warnings.warn(
            f'{TRUST_FLAG}: loading {filename} with full unpickling (it holds {refused}); '
            'this runs any code the file names.',
            stacklevel=2,
        )
        return _load_unsafe(filename, map_location)
    except Exception as err:  # torch's legacy reader fails on garbage in many ways
        raise _read_error(filename, err) from None


def _load_safetensors(filename: str) -> Dict[str, Any]:
    """A safetensors file as ``{'state_dict': tensors, 'meta': metadata}``
    (tensors on the CPU; the format holds nothing that runs)."""
    try:
        with safetensors.safe_open(filename, framework='pt') as file:
            meta = file.metadata() or {}
        return {'state_dict': safetensors.torch.load_file(filename), 'meta': meta}
    except (OSError, safetensors.SafetensorError) as err:
        raise ValueError(f'Cannot read checkpoint {filename}: {err}') from err


def save_weights(
    state_dict: Dict[str, torch.Tensor],
    filename: str,
    fmt: str = 'pth',
    meta: Optional[Dict[str, str]] = None,
) -> None:
    """Write ``state_dict`` atomically as ``{'state_dict': ..., 'meta': meta}``
    (``fmt`` 'pth', :func:`torch.save`) or as a safetensors file
    ('safetensors', ``meta`` its string metadata); both hold tensors and
    strings only and load with :func:`load_checkpoint`. A ``meta['cfg']``
    config text (``model = dict(backbone=dict(...))``) gives the loaders the
    encoder's shape (:func:`encoder_shape_options`)."""
    if fmt == 'safetensors':
        tensors = {k: v.contiguous() for k, v in state_dict.items()}
        atomic_write(filename, safetensors.torch.save(tensors, metadata=meta))
        return
    if fmt != 'pth':
        raise ValueError(f'weight format must be one of {WEIGHT_FORMATS}, got {fmt!r}')
    buffer = io.BytesIO()
    torch.save({'state_dict': state_dict, **({'meta': meta} if meta else {})}, buffer)
    atomic_write(filename, buffer.getvalue())


def _load_unsafe(filename: str, map_location: Any) -> Any:
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:
        raise ValueError(f'Cannot read checkpoint {filename}: {err}') from err


def register_checkpoint_loader(trust: bool = False) -> None:
    """Make mmengine's local-file checkpoints (the Runner's ``resume`` and
    ``load_from``, ``init_cfg`` of type Pretrained) load through
    :func:`load_checkpoint`, trusting files only if ``trust``, and make
    ``init_cfg=dict(type='Pretrained', ...)`` build :class:`StrictPretrainedInit`."""

    def load(filename: str, map_location: Any = None) -> Any:
        return load_checkpoint(filename, map_location=map_location, trust=trust)

    CheckpointLoader.register_scheme(prefixes='', loader=load, force=True)
    use_strict_pretrained()


def use_strict_pretrained() -> None:
    """Make ``init_cfg=dict(type='Pretrained', ...)`` build
    :class:`StrictPretrainedInit` (in mmengine's root registry, which every
    scope falls back to)."""
    WEIGHT_INITIALIZERS.register_module(name='Pretrained', module=StrictPretrainedInit, force=True)


def log_notes(notes: Sequence[str]) -> None:
    """Log what a loader converted or dropped, one line each."""
    for note in notes:
        print_log(note, logger='current')


def load_model_state(model: nn.Module, checkpoint: Any, filename: str) -> None:
    """Load a loaded checkpoint's state dict into the whole ``model``,
    strictly (``load_from``, ``resume``; see the module docstring).

    Raises:
        CheckpointMismatchError: naming the file and the keys.
    """
    state, notes = to_our_names(state_dict_of(checkpoint, filename), filename)
    notes += load_state_dict_strictly(model, state, filename, f'the {type(model).__name__}')
    log_notes(notes)


def load_pretrained(
    module: nn.Module, filename: str, prefix: Optional[str] = None, map_location: Any = 'cpu'
) -> None:
    """Initialise ``module`` from the keys of ``filename`` under ``prefix``
    (without the prefix), or from the whole state dict when no key has the
    prefix or there is none, strictly (see the module docstring). The file is
    read through mmengine's loaders (local files: :func:`load_checkpoint`).

    Raises:
        CheckpointMismatchError: naming the file and the keys.
    """
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state, notes = to_our_names(state_dict_of(checkpoint, filename), filename)
    part = f'the {type(module).__name__} (all keys)'
    if prefix and any(key.startswith(prefix) for key in state):
        state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        part = f'the {type(module).__name__} (the keys under {prefix!r})'
    elif prefix:
        part = f'the {type(module).__name__} (no key under {prefix!r}: all keys)'
    notes += load_state_dict_strictly(module, state, filename, part)
    log_notes(notes)


class StrictPretrainedInit(PretrainedInit):
    """mmengine's ``Pretrained`` initialisation, read by :func:`load_pretrained`:
    strict, and converting the release layout (mmengine's loads with
    ``strict=False``: a checkpoint whose keys fit nothing loads no weights,
    with only a warning).

    Args:
        checkpoint: the checkpoint file.
        prefix: the module's key prefix in the file (``'backbone.'``), or None.
        map_location: as for :func:`torch.load`.
    """

    def __call__(self, module: nn.Module) -> None:
        print_log(f'load {self.prefix or "all keys"} from {self.checkpoint}', logger='current')
        load_pretrained(module, self.checkpoint, self.prefix, self.map_location)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())


def state_dict_of(checkpoint: Any, filename: str) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of a loaded checkpoint, or the checkpoint itself
    when it is a bare state dict."""
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'Checkpoint {filename} holds no state dict')
    return state


def _mapping_items(node: ast.AST) -> Dict[str, ast.AST]:
    """The keys and value nodes of a ``dict(k=v)`` call or a ``{'k': v}`` literal."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'dict':
        return {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
    if isinstance(node, ast.Dict):
        return {
            k.value: v
            for k, v in zip(node.keys, node.values)
            if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    return {}


def stored_backbone_config(checkpoint: Any) -> Dict[str, Any]:
    """The literal entries of ``model.backbone`` in the training config
    stored in a checkpoint written by this framework's Runner (or by
    :func:`save_weights` with a ``cfg``); empty for a checkpoint without one
    (e.g. a converted torchvision ResNet).

    The stored config is Python source; it is parsed, never run (a crafted
    checkpoint could put code there), and only literal values are read.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    text = meta.get('cfg') if isinstance(meta, dict) else None
    if not isinstance(text, str):
        return {}
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    model = next(
        (
            statement.value
            for statement in module.body
            if isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == 'model' for t in statement.targets)
        ),
        None,
    )
    backbone = _mapping_items(_mapping_items(model).get('backbone')) if model else {}
    config = {}
    for key, node in backbone.items():
        try:
            config[key] = _literal(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
    return config


def _literal(node: ast.AST) -> Any:
    """A literal value, ``dict(k=v)`` calls (as mmengine writes configs) included."""
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id == 'dict') or node.args:
            raise ValueError('not a literal')
        return {k: _literal(v) for k, v in _mapping_items(node).items()}
    return ast.literal_eval(node)


def encoder_shape_options(
    checkpoint: Any, keys: Sequence[str] = ENCODER_SHAPE_KEYS
) -> Dict[str, Any]:
    """``{'model.backbone.<key>': value}`` for the ``keys`` set in the training
    config stored in a checkpoint (:func:`stored_backbone_config`), e.g. the
    quickstart's quarter-width encoder, ``base_channels=16``; empty for a
    checkpoint without a stored config."""
    backbone = stored_backbone_config(checkpoint)
    return {f'model.backbone.{key}': backbone[key] for key in keys if key in backbone}


class EncoderCheckpoint:
    """A checkpoint's encoder weights and the encoder shape they need, read once.

    Args:
        path: a checkpoint file, a ``last_checkpoint`` file or a training work
            dir (see :func:`fgvc.utils.resolve_checkpoint`).
        trust: allow full unpickling (see :func:`load_checkpoint`).
    """

    def __init__(self, path: str, trust: bool = False) -> None:
        self.path = resolve_checkpoint(path)
        checkpoint = load_checkpoint(self.path, map_location='cpu', trust=trust)
        self.state_dict = state_dict_of(checkpoint, self.path)
        #: The checkpoint's ``meta`` (epoch, iteration, stored config), or {}.
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
        self.meta = meta if isinstance(meta, dict) else {}
        #: ``--cfg-options`` that give the model the encoder the weights fit.
        self.options = encoder_shape_options(checkpoint)
        for key, value in self.options.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'Checkpoint {self.path}: its stored training config sets {key} = {value!r}, '
                    'which is not a whole number >= 1'
                )

    def load_into(self, model: nn.Module, prefix: str = ENCODER_PREFIX) -> None:
        """Load the encoder weights into ``model.backbone``, strictly.

        The rule for an evaluation model, which has the encoder only: when
        some key is under ``prefix``, those keys (without it) must fit the
        encoder, and every other key must belong to a training-only module
        (:data:`TRAINING_ONLY_PREFIXES`: the training tracker's loss heads
        and teacher, the release's teacher and correlation discriminator
        once converted), which is not loaded; any other key maps nowhere and
        is an error. When no key has ``prefix`` the file is a bare encoder,
        and all of it must fit. A stage the encoder does not build is
        dropped with a log line (see :func:`fit_state_dict`); a release-
        layout file is converted first, with a log line.

        Raises:
            CheckpointMismatchError: naming the file and the keys.
        """
        state, notes = to_our_names(self.state_dict, self.path)
        if any(k.startswith(prefix) for k in state):
            others = [k for k in state if not k.startswith(prefix)]
            stray = [k for k in others if not k.startswith(TRAINING_ONLY_PREFIXES)]
            if stray:
                raise CheckpointMismatchError(
                    f'Checkpoint {self.path}: {len(stray)} key(s) outside the encoder '
                    f'({prefix}*) and the training-only modules {TRAINING_ONLY_PREFIXES} map '
                    f'nowhere: {listed_keys(stray)}'
                )
            if others:  # expected of every training checkpoint: a debug line
                print_log(
                    f'{self.path}: evaluation loads the encoder only; {len(others)} key(s) of '
                    f'training-only modules not loaded: {_groups(others)}',
                    logger='current',
                    level=logging.DEBUG,
                )
            state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        encoder = getattr(model, 'module', model).backbone
        notes += load_state_dict_strictly(encoder, state, self.path, 'the encoder')
        log_notes(notes)


def _groups(keys: Sequence[str]) -> str:
    """``losses.sup_loss.* (120)`` for keys grouped by their first two components."""
    counts: Dict[str, int] = {}
    for key in keys:
        group = '.'.join(key.split('.')[:2])
        counts[group] = counts.get(group, 0) + 1
    return ', '.join(f'{group}.* ({count})' for group, count in counts.items())


def load_encoder_weights(
    model: nn.Module, filename: str, trust: bool = False, prefix: Optional[str] = 'backbone.'
) -> None:
    """Load a checkpoint's encoder weights into ``model.backbone`` (see
    :meth:`EncoderCheckpoint.load_into`)."""
    EncoderCheckpoint(filename, trust).load_into(model, prefix)
