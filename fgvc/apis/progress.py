"""Progress over frames: a console bar and, for callers such as the web demo,
a callback told ``(stage, done, total)`` as work advances."""

from typing import Callable, Optional

from tqdm import tqdm

#: Called with the stage's name, the units done and the units in all,
#: e.g. ``('tracking', 40, 120)``.
ProgressCallback = Callable[[str, int, int], None]


class ProgressBar:
    """``total`` units of one stage: a tqdm bar when ``show``, and reports to
    ``callback`` when given (at the start, on every update and at the end);
    a context manager.

    ``n`` counts the units done whether or not the bar is shown.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        show: bool = False,
        callback: Optional[ProgressCallback] = None,
        unit: str = 'frame',
    ):
        self.total = total
        self.desc = desc
        self.n = 0
        self._callback = callback
        self._bar = tqdm(total=total, desc=desc, unit=unit, disable=not show, dynamic_ncols=True)
        self._report()

    def _report(self) -> None:
        if self._callback is not None:
            self._callback(self.desc, self.n, self.total)

    def update(self, n: int = 1) -> None:
        """``n`` more units done (never past ``total``)."""
        n = min(n, self.total - self.n)
        if n > 0:
            self.n += n
            self._bar.update(n)
            self._report()

    def finish(self) -> None:
        """Count every unit done."""
        self.update(self.total - self.n)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> 'ProgressBar':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def report_stage(callback: Optional[ProgressCallback], stage: str, done: int, total: int) -> None:
    """Tell ``callback`` (if any) where a stage without a bar of its own stands."""
    if callback is not None:
        callback(stage, done, total)
