"""Registries of the fgvc scope, children of mmengine's root registries.

Every object a config names is built through one of these; ``locations``
tells mmengine which modules to import so that the registries are filled
lazily when a config uses ``default_scope='fgvc'``.
"""

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['fgvc.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['fgvc.models']
)
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['fgvc.datasets', 'fgvc.evaluation']
)
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['fgvc.datasets'])
TRANSFORMS = Registry(
    'transform', parent=MMENGINE_TRANSFORMS, locations=['fgvc.datasets.transforms']
)
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['fgvc.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['fgvc.evaluation'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['fgvc.engine', 'fgvc.visualization'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['fgvc.engine'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=['fgvc.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['fgvc.engine']
)
# These two hold nothing of fgvc's own (the strict 'Pretrained' initialiser is
# registered in mmengine's root, see fgvc.utils.checkpoint); they exist so that
# building under default_scope='fgvc' finds an fgvc child instead of warning.
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['fgvc.engine'],
)
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS, locations=['fgvc.models']
)
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['fgvc.engine']
)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS, locations=['fgvc.visualization'])
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS, locations=['fgvc.visualization'])
#: Propagation matchers (:mod:`fgvc.propagation`); the fgvc scope's own kind.
MATCHERS = Registry('propagation matcher', scope='fgvc', locations=['fgvc.propagation'])
#: Memory policies of propagation (:mod:`fgvc.propagation.memory`): which frame
#: stands for a group's seed frame in its memory.
MEMORIES = Registry('propagation memory', scope='fgvc', locations=['fgvc.propagation'])
