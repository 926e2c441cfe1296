"""Shared pytest fixtures."""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Make ``import fgvc`` work without ``pip install -e .``.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

#: ``shared/`` lives beside the clone (``<clone>/../shared``), both locally
#: and in CI.
SHARED_DIR = REPO_ROOT.parent / 'shared'


@pytest.fixture(scope='session')
def shared_dir() -> Path:
    """Path to the shared directory (docs, fixtures) beside the repo."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f'shared directory not found at {SHARED_DIR}')
    return SHARED_DIR
