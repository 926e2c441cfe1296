"""A Runner whose console shows warnings and errors only."""

import logging

from mmengine.logging import MMLogger

from .strict_runner import StrictRunner


class QuietRunner(StrictRunner):
    """:class:`StrictRunner` with the environment, config and hook tables (and
    every other info message) in the log file only: the console keeps
    warnings and errors, so that progress bars and results stay readable."""

    console_level = logging.WARNING

    def build_logger(self, log_level='INFO', log_file=None, **kwargs) -> MMLogger:
        logger = super().build_logger(log_level=log_level, log_file=log_file, **kwargs)
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler:
                handler.setLevel(max(handler.level, self.console_level))
        return logger
