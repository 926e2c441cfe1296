"""Seconds per frame in each stage of propagation, and the share of matching
time spent in matrix products, from the profiler's labels.

The profile runs on one thread (the matching jobs then run in the calling
thread): the public profiler records the thread that starts it, so this is
how it sees every operator of the matching.
"""

import contextlib
from typing import Callable, Dict, Iterator

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

from fgvc.models.trackers.base import ENCODE
from fgvc.propagation.engine import MATCH, MERGE, READOUT

from .matchers import encode, first_frames, run_mode

#: Profiler labels of the stages, and the operators that are matrix products.
STAGES = dict(encode=ENCODE, match=MATCH, merge=MERGE, readout=READOUT)
MATRIX_PRODUCTS = {'aten::mm', 'aten::bmm', 'aten::baddbmm', 'aten::addmm', 'aten::matmul'}


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """torch's intra-op threads of the calling thread set to one inside the block."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def stage_seconds(run: Callable[[], object]) -> Dict[str, float]:
    """Run ``run`` on one thread under the profiler: seconds in each labelled
    stage, and the share of the matching stage spent in matrix products."""
    with one_thread(), profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    events = prof.events()
    out = {
        stage: sum(e.cpu_time_total for e in events if e.name == label) / 1e6
        for stage, label in STAGES.items()
    }
    products = sum(e.self_cpu_time_total for e in events if e.name in MATRIX_PRODUCTS) / 1e6
    out['products'] = products / max(out['match'], 1e-9)
    return out


def stage_profile(
    model, trackers: Dict[str, torch.nn.Module], work: Dict[str, np.ndarray], frames: int, device
) -> Dict[str, Dict[str, float]]:
    """Per-stage seconds per frame of each mode on the workload's first ``frames``
    frames, and the fraction of matching time spent in matrix products."""
    short = first_frames(work, frames)
    features = []
    encode_s = stage_seconds(lambda: features.append(encode(model, short['video'], device)))
    print(
        f'\nPer-stage profile on one thread ({frames} frames; seconds per frame; encode '
        f'{encode_s["encode"] / frames:.3f}):'
    )
    print(f'{"mode":16s}{"match":>9s}{"merge":>9s}{"readout":>9s}{"products":>10s}')
    out = {}
    for mode, tracker in trackers.items():
        out[mode] = r = stage_seconds(lambda t=tracker: run_mode(t, features[0], short, device))
        print(
            f'{mode:16s}{r["match"] / frames:9.3f}{r["merge"] / frames:9.3f}'
            f'{r["readout"] / frames:9.3f}{r["products"]:10.1%}',
            flush=True,
        )
    return out
