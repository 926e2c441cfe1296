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
