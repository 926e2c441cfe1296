"""Helpers of the tests that check what the framework logs."""

import logging
from contextlib import contextmanager
from typing import Iterator, List

from mmengine.logging import MMLogger


@contextmanager
def captured_log() -> Iterator[List[str]]:
    """The messages logged to mmengine's current logger meanwhile."""
    lines: List[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
