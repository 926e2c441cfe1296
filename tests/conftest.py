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
