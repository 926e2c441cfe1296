"""Checkpoint loading that works with mmengine checkpoints under torch>=2.6.

mmengine 0.10.x saves message hubs, configs and numpy scalars inside its
checkpoints; torch>=2.6 refuses to unpickle those with its ``weights_only``
default. Checkpoints handed to the framework are the user's own files, so the
local loader is replaced by one that unpickles them fully.
"""

import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_trusted_checkpoint(filename: str, map_location=None) -> dict:
    """Load a local checkpoint written by this framework or a trusted tool."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint not found: {filename}')
    try:
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:
        raise RuntimeError(f'Cannot read checkpoint {filename}: {err}') from err


def register_checkpoint_loader() -> None:
    """Make mmengine's local-file checkpoint scheme use the trusted loader."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_trusted_checkpoint, force=True)


def load_encoder_weights(model, filename: str, prefix: str = 'backbone.') -> None:
    """Load a checkpoint's encoder weights into ``model.backbone``, strictly.

    Keys are taken from the checkpoint's ``state_dict`` (or the file itself);
    those under ``prefix`` are used when there are any, otherwise the file is
    taken to be a bare encoder. Missing keys and shape mismatches raise an
    error naming the file and the keys; extra encoder keys are ignored.
    """
    checkpoint = load_trusted_checkpoint(filename, map_location='cpu')
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'Checkpoint {filename} holds no state dict')
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
            f'Checkpoint {filename} does not fit the encoder:\n  ' + '\n  '.join(lines)
        )
    encoder.load_state_dict({k: state[k] for k in expected})
