"""Runners started in the same second of one process (same mmengine
experiment name) keep their own logger, message hub and visualizer."""

import logging

from torch import nn

from fgvc.engine.quiet_runner import QuietRunner
from fgvc.engine.strict_runner import StrictRunner


def console_level(runner) -> int:
    (handler,) = [h for h in runner.logger.handlers if type(h) is logging.StreamHandler]
    return handler.level


def log_files(runner) -> list:
    return [h.baseFilename for h in runner.logger.handlers if isinstance(h, logging.FileHandler)]


def test_same_named_runners_log_to_their_own_console_level_and_folder(tmp_path):
    quiet = QuietRunner(model=nn.Linear(1, 1), work_dir=str(tmp_path / 'a'), experiment_name='x')
    verbose = StrictRunner(model=nn.Linear(1, 1), work_dir=str(tmp_path / 'b'), experiment_name='x')
    assert verbose.experiment_name == f'{quiet.experiment_name}_2'
    assert verbose.logger is not quiet.logger
    assert verbose.message_hub is not quiet.message_hub
    assert verbose.visualizer is not quiet.visualizer
    assert console_level(quiet) == logging.WARNING and console_level(verbose) == logging.INFO
    assert all(f.startswith(str(tmp_path / 'a')) for f in log_files(quiet))
    assert log_files(verbose) and all(f.startswith(str(tmp_path / 'b')) for f in log_files(verbose))
