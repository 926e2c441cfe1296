"""Measurements of the framework's cost (``tools/benchmark.py``; the online
tracker's and the demo's: :mod:`.online`, :mod:`.demo`; keyframe memory's
accuracy: :mod:`.memory_accuracy`) and the CUDA check (``tools/gpu_check.py``)."""

from .options import BenchmarkOptions
from .run import run_benchmark

__all__ = ['BenchmarkOptions', 'run_benchmark']
