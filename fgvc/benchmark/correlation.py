"""The training-time local correlation: the reference against the fast one."""

import time
from typing import Callable, Dict, Optional, Tuple

import torch

from fgvc.models.ops import local_correlation, local_correlation_fast

#: Feature map of the timing: [1, C, H, W].
SHAPE = (1, 256, 128, 128)


def best_time(
    fn: Callable[[], torch.Tensor], repeats: int, device: torch.device
) -> Tuple[float, torch.Tensor]:
    """Fastest wall time of ``repeats`` calls of ``fn`` and its last output."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times), out


def _call(fn: Callable, inputs, radius: int, backward: bool) -> Callable[[], torch.Tensor]:
    """``fn`` on fresh copies of ``inputs``: its output, or with ``backward``
    the gradients of a sum of it."""

    def run() -> torch.Tensor:
        feats = [x.clone().requires_grad_(backward) for x in inputs]
        with torch.set_grad_enabled(backward):
            out = fn(*feats, radius)
            if backward:
                out.backward(torch.ones_like(out))
                return torch.cat([f.grad.flatten() for f in feats])
        return out

    return run


def correlation_timing(
    radius: int, device: torch.device, seed: int, peak_gflops: Optional[float]
) -> Dict[str, Dict[str, float]]:
    """Reference and fast local correlation at :data:`SHAPE`: forward, and
    forward + backward (3x the FLOPs), with GFLOP/s, the fraction of the
    roofline ``peak_gflops`` if given, and the largest difference. Returns
    them per pass ('forward', 'forward_backward')."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randn(*SHAPE, generator=gen).to(device) for _ in range(2)]
    _, channels, height, width = SHAPE
    gflop = 2 * channels * (2 * radius + 1) ** 2 * height * width / 1e9
    print(
        f'\nlocal_correlation at {"x".join(map(str, SHAPE))}, radius {radius} ({gflop:.1f} GFLOP forward):'
    )
    results = {}
    for backward in (False, True):
        flops = gflop * (3 if backward else 1)
        ref_s, ref = best_time(_call(local_correlation, inputs, radius, backward), 2, device)
        fast_s, fast = best_time(_call(local_correlation_fast, inputs, radius, backward), 3, device)
        difference = (ref - fast).abs().max().item()
        name = 'forward + backward' if backward else 'forward'
        print(
            f'  {name:19s} reference {ref_s:7.3f} s {flops / ref_s:7.1f} GFLOP/s | fast '
            f'{fast_s:7.3f} s {flops / fast_s:7.1f} GFLOP/s | x{ref_s / fast_s:.2f}, max abs '
            f'difference {difference:.1e}'
        )
        results['forward_backward' if backward else 'forward'] = result = dict(
            reference_seconds=ref_s,
            fast_seconds=fast_s,
            reference_gflops=flops / ref_s,
            fast_gflops=flops / fast_s,
            max_abs_difference=difference,
        )
        if peak_gflops:
            print(
                f'  {"":19s} roofline {flops / peak_gflops:.4f} s: reference at '
                f'{flops / ref_s / peak_gflops:.1%}, fast at {flops / fast_s / peak_gflops:.1%}'
            )
            result.update(
                reference_peak_fraction=flops / ref_s / peak_gflops,
                fast_peak_fraction=flops / fast_s / peak_gflops,
            )
    return results
