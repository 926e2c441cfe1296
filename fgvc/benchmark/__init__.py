"""Measurements of the framework's cost (``tools/benchmark.py``) and the CUDA
check (``tools/gpu_check.py``)."""

from .options import BenchmarkOptions
from .run import run_benchmark

__all__ = ['BenchmarkOptions', 'run_benchmark']
