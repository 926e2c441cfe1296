"""The recipe options where the release and this project differ, and how to
read one from a config (shared by the config and training tests)."""

import inspect
from typing import Any

from mmengine.config import Config

from fgvc.models.losses.soft_label_loss import TEACHER_LABELS
from fgvc.registry import DATASETS, MODELS
from fgvc.utils import register_all_modules

register_all_modules()

MODEL = 'model'
SUP = 'model.losses.sup_loss'
DATA = 'train_dataloader.dataset'
#: (option, release's value, ours) for every option of the recipe's
#: components where the two differ (docs/fidelity.md, training recipe).
OPTIONS = [
    (f'{MODEL}.backbone.zero_init_residual', True, False),
    (f'{MODEL}.drop_branches', ('real', 'synthetic'), ('real',)),
    (f'{MODEL}.drop_draw', 'batch', 'sample'),
    (f'{MODEL}.encoder_passes', (('real',), ('synthetic',)), (('synthetic', 'real'),)),
    (f'{SUP}.teacher_norm_dim', 2, 1),
    (f'{SUP}.loss.fb_check', 'release', 'unflow'),
    (f'{SUP}.loss.grid_sampling', 'top_left', 'cell_mean'),
    (f'{SUP}.loss.match_on_map', False, True),
    (f'{SUP}.loss.off_map', 'zero', 'mask'),
    (f'{MODEL}.losses.l1_loss.loss.grid_sampling', 'top_left', 'cell_mean'),
    (f'{MODEL}.losses.l1_loss.loss.off_map', 'zero', 'mask'),
    (f'{DATA}.unlabelled_choice', 'modulo', 'random'),
    (f'{DATA}.unlabelled.frame_steps', (1, 1), (1, 2)),
    (f'{DATA}.unlabelled.last_pair', False, True),
]
#: Options whose value at full scale differs from the quickstart's.
FULL_SCALE_OPTIONS = [(f'{DATA}.labelled.views', ('left',), ('left', 'right'))]
RELEASE_BLUR = dict(type='PairGaussianBlur', prob=0.8, sigma=(0.1, 0.2), backend='pillow')


def as_tuples(value: Any) -> Any:
    return tuple(as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def resolved(cfg: Config, dotted: str) -> Any:
    """The value ``dotted`` has in ``cfg``, or the default of the class that
    takes it (named by the enclosing dict's ``type``) when the config leaves
    it out."""
    *path, name = dotted.split('.')
    owner = cfg
    for key in path:
        owner = owner[key]
    if name in owner:
        return as_tuples(owner[name])
    registry = DATASETS if path[0] == 'train_dataloader' else MODELS
    parameter = inspect.signature(registry.get(owner['type'])).parameters[name]
    return as_tuples(parameter.default)


def release_choice(cfg: Config, dotted: str, release: Any, ours: Any) -> Any:
    """The value a release config holds for ``dotted``: the release's, except
    that a config whose student labels itself (no teacher, a label read from
    the features) normalises that label over channels, as FlowSupervision
    requires."""
    labels_itself = (
        resolved(cfg, f'{SUP}.teacher') is None
        and resolved(cfg, f'{SUP}.loss.label') in TEACHER_LABELS
    )
    return ours if dotted == f'{SUP}.teacher_norm_dim' and labels_itself else release
