"""Building under ``default_scope='fgvc'`` finds an fgvc child in every mmengine
registry the framework builds from, so training and adaptation log no
"Failed to search registry" warning."""

from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS, WEIGHT_INITIALIZERS, DefaultScope

import fgvc.registry  # noqa: F401  (creates the fgvc children)
from fgvc.utils.checkpoint import StrictPretrainedInit, use_strict_pretrained


def test_optimiser_constructors_and_initialisers_resolve_in_the_fgvc_scope():
    use_strict_pretrained()
    with DefaultScope.overwrite_default_scope('fgvc'):
        for root in (OPTIM_WRAPPER_CONSTRUCTORS, WEIGHT_INITIALIZERS):
            with root.switch_scope_and_registry('fgvc') as registry:
                assert registry.scope == 'fgvc', root.name
        with WEIGHT_INITIALIZERS.switch_scope_and_registry('fgvc') as registry:
            # the strict loader registered in the root is what the child finds
            assert registry.get('Pretrained') is StrictPretrainedInit
