"""Config checks: overrides, top-level keys and hook arguments that the config
or the code does not know are refused before anything runs."""

import difflib
import inspect
from typing import Any, Dict, List, Optional

from mmengine.config import Config
from mmengine.hooks import CheckpointHook

from fgvc.registry import (
    DATASETS,
    HOOKS,
    MATCHERS,
    METRICS,
    MODELS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
    TRANSFORMS,
)

#: Where the type of a part that an override switches is looked up.
TYPED_REGISTRIES = (
    MATCHERS,
    MODELS,
    DATASETS,
    TRANSFORMS,
    METRICS,
    HOOKS,
    OPTIMIZERS,
    PARAM_SCHEDULERS,
)


def _known_keys(node) -> list:
    if isinstance(node, dict):
        return list(node.keys())
    if isinstance(node, (list, tuple)):
        return [str(i) for i in range(len(node))]
    return []


def check_override_keys(cfg: Config, options: Dict[str, Any], allow_new: tuple = ()) -> None:
    """Raise ``KeyError`` naming the first unknown path in dotted ``options``.

    Every component but the last must exist, with one exception: an argument
    of default None that a part built from a ``type`` takes but the config
    leaves out may be set key by key (e.g.
    ``model.backbone.init_cfg.type=Pretrained`` on a backbone without an
    ``init_cfg``). The last component may be new only where its parent is
    built from a ``type`` (whose constructor then checks it) or is listed in
    ``allow_new`` (dotted paths).
    """
    for dotted in options:
        node = cfg._cfg_dict if isinstance(cfg, Config) else cfg
        parts = dotted.split('.')
        for depth, part in enumerate(parts):
            known = _known_keys(node)
            if part not in known:
                parent = '.'.join(parts[:depth])
                buildable = isinstance(node, dict) and 'type' in node
                if depth == len(parts) - 1 and (buildable or parent in allow_new):
                    break
                if buildable:
                    # An unset argument of default None is built from its
                    # keys; under another default a part would replace it.
                    defaults = _argument_defaults_of(node['type']) or {}
                    if part in defaults and defaults[part] is None:
                        break
                    known = known + sorted(defaults)
                hint = difflib.get_close_matches(part, known, n=1)
                where = f"'{parent}'" if parent else 'the config'
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ''
                raise KeyError(
                    f"Unknown config key '{dotted}': '{part}' is not in {where}{suggestion}"
                )
            node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]


def _argument_defaults_of(type_name: Any) -> Optional[Dict[str, Any]]:
    """:func:`argument_defaults` of the registered type ``type_name``; None
    when it is not registered or unknown."""
    registry = _registry_of(type_name) if isinstance(type_name, str) else None
    return argument_defaults(registry.get(type_name)) if registry else None


def _registry_of(type_name: str):
    """The registry holding ``type_name`` (a registered name), or None."""
    for registry in TYPED_REGISTRIES:
        if registry.get(type_name) is not None:
            return registry
    return None


def retyped(part: Dict[str, Any], new_type: str, cls: type) -> Dict[str, Any]:
    """``part`` (a config dict built from a ``type``) switched to ``new_type``
    (the class ``cls``): the options of the old type that ``cls`` takes are
    kept (e.g. ``neighbor_range`` from LocalMatcher to DenseMatcher), the
    others dropped, so that the new type's defaults apply to them."""
    accepted = accepted_arguments(cls)
    kept = {k: v for k, v in part.items() if k != 'type' and (accepted is None or k in accepted)}
    return dict(type=new_type, **kept)


def _switch_types(cfg: Config, options: Dict[str, Any]) -> None:
    """Apply the rule of :func:`apply_overrides` to each ``P.type`` option
    that names another type than the config's part ``P``."""
    for dotted, new_type in options.items():
        parts = dotted.split('.')
        if parts[-1] != 'type' or len(parts) < 2 or not isinstance(new_type, str):
            continue
        node = parent = cfg._cfg_dict if isinstance(cfg, Config) else cfg
        for part in parts[:-1]:
            parent = node
            if isinstance(node, (list, tuple)):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:  # a part the override adds (under a built part): nothing to switch
                node = None
                break
        key = parts[-2]
        old_type = node.get('type') if isinstance(node, dict) else None
        if not isinstance(old_type, str) or old_type == new_type:
            continue
        registry = _registry_of(old_type)
        if registry is None:
            continue
        cls = registry.get(new_type)
        if cls is None:
            raise KeyError(
                f'--cfg-options {dotted}={new_type}: no {registry.name} is registered as '
                f"'{new_type}' (registered: {sorted(registry.module_dict)})"
            )
        new = retyped(dict(node), new_type, cls)
        if isinstance(parent, (list, tuple)):
            parent[int(key)] = new
        else:
            parent[key] = new


def apply_overrides(cfg: Config, options: Dict[str, Any], allow_new: tuple = ()) -> None:
    """Check dotted ``options`` (:func:`check_override_keys`) and merge them into ``cfg``.

    An option ``P.type=NEW`` that names another registered type than the
    config's part ``P`` switches the part's type (:func:`retyped`): the old
    type's options that NEW takes are kept, the others dropped (NEW's
    defaults apply to them); the other ``P.*`` options set NEW's options.
    E.g. ``model.propagation.matcher.type=CoarseToFineMatcher`` drops the
    local matcher's ``neighbor_range``, which the coarse-to-fine matcher has
    no use for. Every other option is merged into what the config holds."""
    if not options:
        return
    check_override_keys(cfg, options, allow_new)
    _switch_types(cfg, options)
    cfg.merge_from_dict(options)


#: Top-level keys mmengine and the tools read besides the Runner's arguments.
TOOL_KEYS = (
    'model_wrapper_cfg',
    'vis_backends',
    'tasks',
    'compile',
    'strategy',
    'find_unused_parameters',
    'custom_imports',
)
#: Keys of a hook's config that the Runner reads itself.
HOOK_CONFIG_KEYS = ('type', 'priority')
# A top-level key this close to a known one (difflib ratio) is taken for a typo of it.
TYPO_RATIO = 0.8


def _runner_keys() -> List[str]:
    from mmengine.runner import Runner

    params = inspect.signature(Runner.__init__).parameters
    return [name for name in params if name not in ('self', 'cfg')] + list(TOOL_KEYS)


def argument_defaults(cls: type) -> Optional[Dict[str, Any]]:
    """Keyword arguments ``cls(...)`` accepts, each with the default the
    nearest constructor gives it (``inspect.Parameter.empty`` for none),
    following ``**kwargs`` passed up to base classes; None when some
    ``**kwargs`` goes elsewhere (unknown)."""
    defaults: Dict[str, Any] = {}
    for klass in cls.__mro__:
        if klass is object:  # takes no arguments
            return defaults
        if '__init__' not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        for param in params:
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                defaults.setdefault(param.name, param.default)
        defaults.pop('self', None)
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return defaults
        if klass is CheckpointHook:
            # CheckpointHook hands its extra keywords to Runner.save_checkpoint.
            from mmengine.runner import Runner

            for param in inspect.signature(Runner.save_checkpoint).parameters.values():
                defaults.setdefault(param.name, param.default)
            for name in ('self', 'out_dir', 'filename', 'meta'):
                defaults.pop(name, None)
            return defaults
    return None


def accepted_arguments(cls: type) -> Optional[set]:
    """The names of :func:`argument_defaults`; None when unknown."""
    defaults = argument_defaults(cls)
    return None if defaults is None else set(defaults)


def _check_hook(hook: Any, where: str) -> None:
    if not isinstance(hook, dict) or 'type' not in hook:
        return
    hook_type = hook['type']
    cls = hook_type if isinstance(hook_type, type) else HOOKS.get(hook_type)
    if cls is None:
        raise KeyError(f"{where}: unknown hook type '{hook_type}'")
    accepted = accepted_arguments(cls)
    if accepted is None:
        return
    for key in hook:
        if key not in accepted and key not in HOOK_CONFIG_KEYS:
            hint = difflib.get_close_matches(key, sorted(accepted), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ''
            raise KeyError(
                f"{where}: {cls.__name__} takes no argument '{key}'{suggestion}; "
                f'it takes {sorted(accepted)}'
            )


def check_config(cfg: Config) -> None:
    """Refuse, before anything runs, top-level keys that look like a typo of a
    key the Runner reads (``train_cfgg``) and hook arguments the hook does not
    take. Other top-level names are config variables (``crop_size = ...``)."""
    known = _runner_keys()
    for key in cfg.keys():
        if key in known:
            continue
        hint = difflib.get_close_matches(key, known, n=1, cutoff=TYPO_RATIO)
        if hint:
            raise KeyError(
                f"Unknown top-level config key '{key}' (did you mean '{hint[0]}'?): "
                'the Runner would ignore it'
            )
    for name, hook in (cfg.get('default_hooks') or {}).items():
        _check_hook(hook, f'default_hooks.{name}')
    for index, hook in enumerate(cfg.get('custom_hooks') or []):
        _check_hook(hook, f'custom_hooks[{index}]')
