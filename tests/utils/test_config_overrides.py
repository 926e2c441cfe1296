"""--cfg-options through :func:`fgvc.utils.apply_overrides`: switching a
part's type keeps the options the new type takes and drops the others; other
keys merge as before; an unregistered type is named with the registered ones."""

import pytest
from mmengine import Config

from fgvc.propagation import PropagationConfig
from fgvc.utils import apply_overrides, register_all_modules

LOCAL = dict(type='LocalMatcher', neighbor_range=24, tile=8, product_floats=2**23)


def config() -> Config:
    register_all_modules()
    return Config(dict(model=dict(propagation=dict(topk=10, matcher=dict(LOCAL)))))


@pytest.mark.parametrize(
    'options, matcher',
    [
        # DenseMatcher takes neighbor_range, not the local matcher's speed options
        ({'type': 'DenseMatcher'}, dict(type='DenseMatcher', neighbor_range=24)),
        (
            {'type': 'CoarseToFineMatcher', 'refine_radius': 12},
            dict(type='CoarseToFineMatcher', tile=8, product_floats=2**23, refine_radius=12),
        ),
        ({'type': 'LocalMatcher', 'tile': 4}, dict(LOCAL, tile=4)),  # same type: a merge
        ({'neighbor_range': 30}, dict(LOCAL, neighbor_range=30)),
    ],
)
def test_a_type_switch_keeps_the_options_the_new_type_takes(options, matcher):
    cfg = config()
    apply_overrides(cfg, {f'model.propagation.matcher.{k}': v for k, v in options.items()})
    assert cfg.model.propagation.matcher.to_dict() == matcher
    assert cfg.model.propagation.topk == 10
    # and the result builds
    assert PropagationConfig.from_dict(cfg.model.propagation.to_dict()).topk == 10


def test_an_unregistered_type_is_named_with_the_registered_ones():
    with pytest.raises(
        KeyError, match="no propagation matcher is registered as 'Coarse'.*'DenseMatcher'"
    ):
        apply_overrides(config(), {'model.propagation.matcher.type': 'Coarse'})
