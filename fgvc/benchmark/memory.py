"""Measuring peak memory, and a second process keeping one core busy."""

import contextlib
import ctypes
import gc
import re
import resource
import subprocess
import sys
from typing import Iterator

import torch

MIB = 2**20
KIB_PER_MIB = 2**10  # getrusage's ru_maxrss is in KiB on Linux


def peak_rss_mib(children: bool = False) -> float:
    """The peak resident set size so far, in MiB, of this process or with
    ``children`` of its largest child process that has ended and been waited
    for (``getrusage``'s ``ru_maxrss``). Linux carries the mark across
    ``exec``: a process exec'd from a vfork of a larger one (Python's
    ``subprocess``) starts at that one's peak."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / KIB_PER_MIB


class PeakMemory:
    """Peak memory in MiB used inside a ``with`` block, beyond what was held before it.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the kernel's resident-set
    high-water mark (VmHWM), reset on entry through ``/proc/self/clear_refs``
    after glibc has returned freed memory (``malloc_trim``), so that blocks of
    an earlier measurement do not hide this one's. The resident set includes
    what glibc keeps of freed blocks for reuse (tens of MiB at most).
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.peak_mb = 0.0

    @staticmethod
    def _status(field: str) -> float:
        with open('/proc/self/status') as f:
            return int(re.search(rf'{field}:\s+(\d+) kB', f.read()).group(1)) / 1024

    def __enter__(self) -> 'PeakMemory':
        gc.collect()
        if self.device.type == 'cuda':
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self._base = torch.cuda.memory_allocated() / MIB
            return self
        try:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
        except OSError as error:
            raise RuntimeError(
                'CPU peak memory needs Linux with a writable '
                f'/proc/self/clear_refs and glibc: {error}'
            ) from error
        self._base = self._status('VmRSS')
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize()
            self.peak_mb = torch.cuda.max_memory_allocated() / MIB - self._base
        else:
            self.peak_mb = self._status('VmHWM') - self._base


@contextlib.contextmanager
def busy_core(enabled: bool) -> Iterator[None]:
    """A second process spinning on one core while the block runs."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()
