"""Shared pytest fixtures."""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Make ``import fgvc`` work without ``pip install -e .``.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

#: Real samples and reference fixtures kept in the repository (see its README).
DATA_DIR = Path(__file__).resolve().parent / 'data'
#: How many formatted config texts :func:`format_each_config_once` keeps.
FORMATTED_CONFIGS_KEPT = 32


@pytest.fixture(scope='session')
def data_dir() -> Path:
    """``tests/data``: the real samples and metric fixtures the tests read."""
    return DATA_DIR


@pytest.fixture(scope='session', autouse=True)
def empty_model_zoo(tmp_path_factory):
    """Every test runs against an empty model zoo, so that the default weights
    are the untrained encoder whatever the package ships; a test that wants a
    zoo sets ``FGVC_ZOO`` itself (subprocesses inherit it)."""
    from fgvc.models.zoo import ZOO_ENV

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ZOO_ENV, str(tmp_path_factory.mktemp('empty_zoo')))
        yield


@pytest.fixture(scope='session')
def tiny_zoo(tmp_path_factory):
    """A zoo holding one model, published by tools/publish_model.py from a
    checkpoint trained here for one epoch on the tiny generated data
    (quickstart recipe at 8 channels: not the default width)."""
    from zoo_utils import publish_tiny_model

    return publish_tiny_model(tmp_path_factory.mktemp('tiny_zoo'))


@pytest.fixture(scope='session', autouse=True)
def format_each_config_once():
    """mmengine formats a Runner's config with yapf each time it prints,
    dumps or checkpoints it (five times per run before the first iteration),
    seconds each for an evaluation config. yapf's output depends on its input
    alone, so the tests run in this process reuse it: the text is the same,
    formatted once. Tools run as subprocesses are left as they are."""
    from mmengine.config import config as mmengine_config

    format_code = mmengine_config.FormatCode
    formatted = {}

    def format_once(source: str, **options):
        key = (source, repr(sorted(options.items())))
        if key not in formatted:
            if len(formatted) >= FORMATTED_CONFIGS_KEPT:
                formatted.pop(next(iter(formatted)))
            formatted[key] = format_code(source, **options)
        return formatted[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine_config, 'FormatCode', format_once)
        yield
