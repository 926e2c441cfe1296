"""Config helpers: overrides that refuse keys the config does not have."""

import difflib
from typing import Any, Dict

from mmengine.config import Config


def _known_keys(node) -> list:
    if isinstance(node, dict):
        return list(node.keys())
    if isinstance(node, (list, tuple)):
        return [str(i) for i in range(len(node))]
    return []


def check_override_keys(cfg: Config, options: Dict[str, Any], allow_new: tuple = ()) -> None:
    """Raise ``KeyError`` naming the first unknown path in dotted ``options``.

    Every component but the last must exist. The last may be new only where
    its parent is built from a ``type`` (whose constructor then checks it) or
    is listed in ``allow_new`` (dotted paths).
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
                hint = difflib.get_close_matches(part, known, n=1)
                where = f"'{parent}'" if parent else 'the config'
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ''
                raise KeyError(
                    f"Unknown config key '{dotted}': '{part}' is not in {where}{suggestion}"
                )
            node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
