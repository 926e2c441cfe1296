"""Time local_correlation against local_correlation_fast on random features.

Example (the FGVC training size: stride-2 map of a 256x256 crop, R = 24)::

    python tools/benchmark_correlation.py --channels 256 --size 128 --radius 24
"""
import argparse
import time
from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor

from fgvc.models.ops import local_correlation, local_correlation_fast


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--size', type=int, default=128,
                        help='height and width of the feature map')
    parser.add_argument('--radius', type=int, default=24)
    parser.add_argument('--dilation', type=int, default=1)
    parser.add_argument('--tile-size', type=int, default=None,
                        help='tile side of the fast path (its default if '
                        'not given)')
    parser.add_argument('--repeats', type=int, default=3,
                        help='runs of the fast path; the best is reported')
    parser.add_argument('--reference-repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.reference_repeats < 1:
        parser.error('--repeats and --reference-repeats must be >= 1')
    return args


Correlation = Callable[[Tensor, Tensor], Tensor]


def best_time(fn: Correlation, feat1: Tensor, feat2: Tensor, repeats: int,
              backward: bool) -> Tuple[float, Tensor]:
    """Fastest wall time in seconds of ``repeats`` runs of ``fn`` (forward
    only, or forward and backward of a random output gradient), and its
    output."""
    inputs = [feat.clone().requires_grad_(backward) for feat in (feat1, feat2)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.set_grad_enabled(backward):
            out = fn(*inputs)
            if backward:
                out.backward(torch.ones_like(out))
        times.append(time.perf_counter() - start)
    return min(times), out.detach()


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    shape = (args.batch, args.channels, args.size, args.size)
    feat1, feat2 = torch.randn(shape), torch.randn(shape)
    window = (2 * args.radius + 1)**2
    gflop = 2 * args.batch * args.channels * window * args.size**2 / 1e9
    fast_kwargs = {} if args.tile_size is None else dict(
        tile_size=args.tile_size)

    def reference(a: Tensor, b: Tensor) -> Tensor:
        return local_correlation(a, b, args.radius, args.dilation)

    def fast(a: Tensor, b: Tensor) -> Tensor:
        return local_correlation_fast(a, b, args.radius, args.dilation,
                                      **fast_kwargs)

    print(f'input {shape}, radius {args.radius}, dilation {args.dilation}, '
          f'{torch.get_num_threads()} threads; GFLOP/s counts '
          f'{gflop:.1f} GFLOP per forward, 3x that per forward + backward')
    for backward, flops in ((False, gflop), (True, 3 * gflop)):
        ref_s, ref = best_time(reference, feat1, feat2,
                               args.reference_repeats, backward)
        fast_s, out = best_time(fast, feat1, feat2, args.repeats, backward)
        name = 'forward + backward' if backward else 'forward (no grad)'
        print(f'{name}:')
        print(f'  reference: {ref_s:8.3f} s  {flops / ref_s:7.1f} GFLOP/s')
        print(f'  fast:      {fast_s:8.3f} s  {flops / fast_s:7.1f} GFLOP/s')
        print(f'  speed-up:  {ref_s / fast_s:8.2f}x  (max abs difference of '
              f'the outputs {(ref - out).abs().max().item():.2e})')


if __name__ == '__main__':
    main()
