"""Reading pickles without running code: the one reader of every pickle the
framework opens (TAP-Vid data, predictions; checkpoints go through torch's
own weights-only loader, which this module helps explain).

Unpickling calls whatever functions a file names, so a crafted pickle can do
anything the user can. :func:`load_pickle` builds only what the data formats
hold: dicts, lists, tuples, strings, bytes, numbers, booleans, None, and numpy
arrays, dtypes and scalars (through numpy's own reconstructors). Any other
type is refused with :class:`UnsafePickleError` naming the file and the type,
unless the caller trusts the file (the tools' :data:`TRUST_FLAG`), which
loads it with full unpickling after a warning.
"""

import _compat_pickle
import importlib
import io
import os.path as osp
import pickle
import warnings
from typing import Any, Dict, Optional, Tuple

__all__ = ['TRUST_FLAG', 'UnsafePickleError', 'load_pickle', 'refused_global']

#: The one command-line flag that allows full unpickling (checkpoints, data,
#: predictions); error messages name it.
TRUST_FLAG = '--trust-pickle'

# What numpy's pickles name, under numpy 2 (numpy._core) and numpy 1 (numpy.core).
_NUMPY_FUNCTIONS = (
    ('multiarray', '_reconstruct'),
    ('multiarray', 'scalar'),
    ('numeric', '_frombuffer'),
)
# Python 3 pickles of protocol 2 carry bytes as _codecs.encode(text, 'latin1').
_BUILTINS = (('_codecs', 'encode'), ('builtins', 'complex'))


class UnsafePickleError(ValueError):
    """A pickle names a type or function that safe loading does not build."""


def _allowed_globals() -> Dict[Tuple[str, str], Any]:
    import numpy as np

    core = getattr(np, '_core', None) or np.core
    allowed = {('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype}
    for submodule, name in _NUMPY_FUNCTIONS:
        function = getattr(getattr(core, submodule), name)
        for package in ('numpy._core', 'numpy.core'):
            allowed[(f'{package}.{submodule}', name)] = function
    for module, name in _BUILTINS:
        allowed[(module, name)] = getattr(importlib.import_module(module), name)
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler whose globals are only the allowed ones (never imported by name)."""

    allowed = None

    def find_class(self, module: str, name: str) -> Any:
        # protocol 2 pickles name builtins by their Python 2 modules (__builtin__, ...)
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        if _RestrictedUnpickler.allowed is None:
            _RestrictedUnpickler.allowed = _allowed_globals()
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(f'{module}.{name}') from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f'persistent id {pid!r}')


def _refusal(path: str, what: str, refused: str) -> UnsafePickleError:
    return UnsafePickleError(
        f'Refusing to unpickle {what} {path}: it holds `{refused}`, which is not a type '
        f'such a file holds (arrays, numbers, strings, lists, dicts), and unpickling it could '
        f'run code. If you trust where the file comes from, pass {TRUST_FLAG} to load it anyway'
    )


def load_pickle(path: str, what: str = 'pickle', trust: bool = False) -> Any:
    """The content of the pickle file ``path``, built safely (see the module
    docstring); ``what`` names the file in errors ('TAP-Vid pickle', ...).

    Raises:
        FileNotFoundError: the file does not exist.
        UnsafePickleError: it names another type and ``trust`` is False.
        ValueError: it is not a readable pickle (empty, truncated, corrupt).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    with open(path, 'rb') as f:
        data = f.read()
    if not data:
        raise ValueError(f'Cannot read {what} {path}: the file is empty')
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickleError as err:
        if not trust:
            raise _refusal(path, what, str(err)) from None
        warnings.warn(
            f'{TRUST_FLAG}: loading {path} with full unpickling (it holds `{err}`); this runs '
            'any code the file names.',
            stacklevel=2,
        )
        loader = pickle.loads
    except Exception as err:
        raise ValueError(
            f'Cannot read {what} {path}: truncated, corrupt or not a pickle '
            f'({type(err).__name__}: {err})'
        ) from None
    try:
        return loader(data)
    except Exception as err:
        raise ValueError(
            f'Cannot read {what} {path}: {type(err).__name__}: {err}'.replace('\n', ' ')
        ) from None


def refused_global(data: bytes) -> Optional[str]:
    """The first global (``module.name``) in the pickle ``data`` that safe
    loading refuses, found without building it; None when there is none (or
    the pickle breaks off before one)."""
    try:
        _RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickleError as err:
        return str(err)
    except Exception:
        return None
    return None
