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
"""

import argparse
import ast
import os.path as osp
import pickle
import re
import warnings
import zipfile
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from fgvc.fileio import TRUST_FLAG, refused_global

from .checkpoint_files import resolve_checkpoint

#: Backbone settings that fix the shapes of the encoder's weights.
ENCODER_SHAPE_KEYS = ('depth', 'base_channels')
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


def _load_unsafe(filename: str, map_location: Any) -> Any:
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:
        raise ValueError(f'Cannot read checkpoint {filename}: {err}') from err


def register_checkpoint_loader(trust: bool = False) -> None:
    """Make mmengine's local-file checkpoints (the Runner's ``resume`` and
    ``load_from``, ``init_cfg`` of type Pretrained) load through
    :func:`load_checkpoint`, trusting files only if ``trust``."""

    def load(filename: str, map_location: Any = None) -> Any:
        return load_checkpoint(filename, map_location=map_location, trust=trust)

    CheckpointLoader.register_scheme(prefixes='', loader=load, force=True)


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


def encoder_shape_options(
    checkpoint: Any, keys: Sequence[str] = ENCODER_SHAPE_KEYS
) -> Dict[str, Any]:
    """``{'model.backbone.<key>': value}`` for the ``keys`` set in the training
    config stored in a checkpoint written by this framework's Runner (e.g. the
    quickstart's quarter-width encoder, ``base_channels=16``); empty for a
    checkpoint without a stored config (e.g. a converted torchvision ResNet).

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
    options = {}
    for key in keys:
        if key in backbone:
            try:
                options[f'model.backbone.{key}'] = ast.literal_eval(backbone[key])
            except ValueError:
                continue
    return options


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
        #: ``--cfg-options`` that give the model the encoder the weights fit.
        self.options = encoder_shape_options(checkpoint)
        for key, value in self.options.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f'Checkpoint {self.path}: its stored training config sets {key} = {value!r}, '
                    'which is not a whole number >= 1'
                )

    def load_into(self, model: torch.nn.Module, prefix: str = 'backbone.') -> None:
        """Load the encoder weights into ``model.backbone``, strictly.

        Keys under ``prefix`` are used when there are any, otherwise the file
        is taken to be a bare encoder. Missing keys and shape mismatches raise
        an error naming the file and the keys; extra encoder keys are ignored.
        """
        state = self.state_dict
        if any(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        encoder = getattr(model, 'module', model).backbone
        expected = encoder.state_dict()
        missing = sorted(set(expected) - set(state))
        wrong = [
            f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}'
            for k, v in expected.items()
            if k in state and state[k].shape != v.shape
        ]
        if missing or wrong:
            lines = [f'missing {len(missing)} key(s): {missing[:8]}'] if missing else []
            lines += [f'shape mismatch {w}' for w in wrong[:8]]
            raise ValueError(
                f'Checkpoint {self.path} does not fit the encoder:\n  ' + '\n  '.join(lines)
            )
        encoder.load_state_dict({k: state[k] for k in expected})


def load_encoder_weights(
    model: torch.nn.Module, filename: str, trust: bool = False, prefix: Optional[str] = 'backbone.'
) -> None:
    """Load a checkpoint's encoder weights into ``model.backbone`` (see
    :meth:`EncoderCheckpoint.load_into`)."""
    EncoderCheckpoint(filename, trust).load_into(model, prefix)
