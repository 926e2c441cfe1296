"""Finding a trained checkpoint and the encoder shape it was trained with."""

import os.path as osp
from typing import Dict, Sequence

from mmengine.config import Config

from fgvc.utils import load_trusted_checkpoint

#: The file mmengine's Runner leaves in a work dir, holding the latest checkpoint's path.
LAST_CHECKPOINT = 'last_checkpoint'
#: Backbone settings that fix the shapes of the encoder's weights.
ENCODER_SHAPE_KEYS = ('depth', 'base_channels')


def resolve_checkpoint(path: str) -> str:
    """The checkpoint file ``path`` names: the file itself, or the checkpoint a
    ``last_checkpoint`` file (or a training work dir holding one) points to."""
    if osp.isdir(path):
        path = osp.join(path, LAST_CHECKPOINT)
        if not osp.isfile(path):
            raise FileNotFoundError(f'No {LAST_CHECKPOINT} file in the folder {osp.dirname(path)}')
    if osp.basename(path) == LAST_CHECKPOINT and osp.isfile(path):
        with open(path) as f:
            target = f.read().strip()
        if not osp.isfile(target):
            raise FileNotFoundError(f'{path} points to {target!r}, which does not exist')
        return target
    if not osp.isfile(path):
        raise FileNotFoundError(f'Checkpoint not found: {path}')
    return path


def encoder_shape_options(path: str, keys: Sequence[str] = ENCODER_SHAPE_KEYS) -> Dict:
    """``{'model.backbone.<key>': value}`` for the ``keys`` set in the training
    config stored in a checkpoint written by this framework's Runner (e.g. the
    quickstart's quarter-width encoder, ``base_channels=16``); empty for a
    checkpoint without a stored config (e.g. a converted torchvision ResNet)."""
    checkpoint = load_trusted_checkpoint(path, map_location='cpu')
    text = checkpoint.get('meta', {}).get('cfg') if isinstance(checkpoint, dict) else None
    if not isinstance(text, str):
        return {}
    backbone = Config.fromstring(text, '.py').get('model', {}).get('backbone', {})
    return {f'model.backbone.{k}': backbone[k] for k in keys if k in backbone}
