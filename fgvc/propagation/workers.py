"""Independent pieces of CPU work spread over single-threaded worker threads.

Every CPU operator of torch splits its work evenly over the intra-op threads
and waits for the slowest. When another process shares a core, the thread on
that core runs at a fraction of its speed, and every operator waits for it
(small operators also for the scheduler to run it at all), so a sequence of
many operators slows down by far more than the share of the core it lost.
Pieces of work handed one at a time to single-threaded workers go to
whichever worker is free instead: a slowed worker just does fewer pieces.
"""

import functools
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Callable, Dict, Sequence

import torch
from torch.profiler import record_function

#: Profiler labels of a job run by a worker, and of the caller waiting for
#: the jobs (``tools/benchmark.py`` counts the time threads spend matching).
JOB, WAIT = 'propagation.worker_job', 'propagation.wait'

_thread = threading.local()


@functools.cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        workers,
        thread_name_prefix='fgvc-propagation',
        initializer=torch.set_num_threads,  # for the worker thread only
        initargs=(1,),
    )


def scratch() -> Dict[str, torch.Tensor]:
    """The calling thread's scratch tensors, kept between calls."""
    if not hasattr(_thread, 'tensors'):
        _thread.tensors = {}
    return _thread.tensors


def run_all(jobs: Sequence[Callable[[], None]], device: torch.device) -> None:
    """Run ``jobs`` (independent, each writing its own outputs): on a CPU over
    as many single-threaded workers as torch has intra-op threads, elsewhere
    (or with one thread) in order in the calling thread. All jobs run to
    their end; the first failed job's error is then raised here."""
    workers = torch.get_num_threads() if device.type == 'cpu' else 1
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            job()
        return
    futures = [_pool(workers).submit(_labelled, job) for job in jobs]
    with record_function(WAIT):
        wait(futures)  # every job has finished when this returns or raises
    for future in futures:
        future.result()


def _labelled(job: Callable[[], None]) -> None:
    with record_function(JOB):
        job()
