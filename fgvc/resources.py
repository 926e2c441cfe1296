"""Files the library reads at run time that are not modules: the configs.

A wheel ships the repository's ``configs/`` folder inside the package as
``fgvc/configs`` (see setup.py); a clone (an editable install, or
``PYTHONPATH`` at the clone) reads ``configs/`` beside the package. Either
way :func:`config_path` names a file on disk, as mmengine's config loader
(``_base_`` files are found relative to it) needs.
"""

from importlib import resources
from pathlib import Path

__all__ = ['config_root', 'config_path']

CONFIG_DIR = 'configs'


def config_root() -> Path:
    """The folder of the shipped configs: the installed copy, else the clone's."""
    shipped = Path(str(resources.files('fgvc') / CONFIG_DIR))
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parent.parent / CONFIG_DIR


def config_path(name: str) -> str:
    """Path of the shipped config ``name`` (relative to ``configs/``, e.g.
    ``'eval/res18_d1_eval.py'``). Not checked here: loading a missing one
    names the path."""
    return str(config_root() / name)
