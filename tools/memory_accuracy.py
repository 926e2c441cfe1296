"""Accuracy of keyframe memory policies against exact propagation, as a table.

Each check runs on the data root given to it; e.g. the full table of
docs/keyframe_memory.md::

    python tools/memory_accuracy.py --checkpoint CKPT \
        --tapvid data/synthetic/TAP-Vid/tapvid_davis/tapvid_davis.pkl \
        --jhmdb DATA/JHMDB --badja DATA/BADJA --davis DATA/DAVIS2016-train-240p \
        --policies 10,5 15,5 30,5 30,10
"""

import argparse
import json
import math
from typing import List, Optional, Tuple

from fgvc.benchmark.memory_accuracy import MEASURES, AccuracyOptions, run_accuracy
from fgvc.cli.options import add_checkpoint_arg, add_trust_flag, one_line_errors

DEFAULTS = AccuracyOptions()


def policy(text: str) -> Tuple[float, int]:
    """'H,K' -> (horizon, interval); H may be 'inf'."""
    try:
        horizon, interval = text.split(',')
        return (math.inf if horizon == 'inf' else int(horizon)), int(interval)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'a policy is HORIZON,INTERVAL (e.g. 15,5), got {text!r}'
        ) from None


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    for check, measure in MEASURES.items():
        parser.add_argument(
            f'--{check}', metavar='DATA_ROOT', help=f'run the check: {measure.replace("%", "%%")}'
        )
    parser.add_argument(
        '--policies', nargs='+', type=policy, default=DEFAULTS.policies, metavar='H,K'
    )
    parser.add_argument('--config', default=DEFAULTS.config)
    add_checkpoint_arg(parser)
    add_trust_flag(parser)
    parser.add_argument('--query-stride', type=int, default=DEFAULTS.query_stride)
    parser.add_argument(
        '--points', type=int, default=DEFAULTS.points, help='points per object and query frame'
    )
    parser.add_argument('--davis-split', default=DEFAULTS.davis_split)
    parser.add_argument('--davis-resolution', default=DEFAULTS.davis_resolution)
    parser.add_argument('--max-videos', type=int)
    parser.add_argument('--max-frames', type=int)
    parser.add_argument('--max-queries', type=int, help='TAP-Vid queries kept per clip')
    parser.add_argument('--device', default=DEFAULTS.device)
    parser.add_argument('--seed', type=int, default=DEFAULTS.seed)
    parser.add_argument('--json', help='also write the table to this file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = vars(parse_args(argv))
    data = {check: args.pop(check) for check in MEASURES if args[check]}
    if not data:
        raise SystemExit(f'name at least one check: {", ".join("--" + c for c in MEASURES)}')
    out = args.pop('json')
    del args['trust_pickle']  # the same flag as trust_checkpoint
    for check in MEASURES:
        args.pop(check, None)
    with one_line_errors():
        table = run_accuracy(AccuracyOptions(data=data, **args))
    if out:
        with open(out, 'w') as f:
            json.dump(table, f, indent=2)


if __name__ == '__main__':
    main()
