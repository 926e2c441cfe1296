"""Convert a torchvision / MoCo / DetCo / DINO ResNet checkpoint for FGVC.

Unwraps ``state_dict`` / ``model`` / ``module``, strips wrapper prefixes
(``module.``, ``encoder_q.``, ``encoder.``, ``backbone.``, ``student.`` and
any ``--prefix``), drops classifier heads, checks the result against our
``ResNet`` and saves ``{'state_dict': ...}`` with keys under ``--out-prefix``
(``backbone.conv1.weight``), ready for a model whose encoder attribute is
``backbone``. Keys the model lacks are reported and left out. An encoder with
missing or wrong-shape weights is not saved (exit status 1) unless
``--allow-partial``.

The input is loaded safely (weights, numpy values and argument namespaces
only); a checkpoint holding other types is refused unless
``--trust-checkpoint``. The output holds only tensors.

With ``--out-indices 2`` (FGVC's encoder) ``layer4`` is not built, so its
keys are reported as unexpected and dropped: the output then loads with no
report at all.

Example::

    python tools/convert_checkpoint.py moco_v2_800ep.pth.tar r50_moco.pth \\
        --depth 50 --out-indices 2
"""

import argparse
import io
import sys
from typing import List, Optional

import torch

from fgvc.cli.options import add_trust_flag
from fgvc.fileio import atomic_write
from fgvc.models.backbones import (
    ResNet,
    drop_prefixed,
    extract_state_dict,
    match_state_dict,
    strip_prefixes,
)
from fgvc.models.backbones.checkpoint_utils import HEAD_PREFIXES, WRAPPER_PREFIXES
from fgvc.utils import UnsafeCheckpointError, load_checkpoint


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]),
    )
    parser.add_argument('input', help='checkpoint to convert')
    parser.add_argument('output', help='where to save the converted one')
    parser.add_argument('--depth', type=int, default=18, choices=(18, 34, 50))
    parser.add_argument(
        '--out-indices',
        type=int,
        nargs='+',
        default=[3],
        help='stages the target ResNet builds up to (FGVC: 2)',
    )
    parser.add_argument('--prefix', nargs='*', default=[], help='extra key prefixes to strip')
    parser.add_argument(
        '--drop', nargs='*', default=[], help='extra key prefixes to drop (after stripping)'
    )
    parser.add_argument(
        '--out-prefix', default='backbone.', help="prefix of the saved keys ('' for none)"
    )
    parser.add_argument(
        '--allow-partial',
        action='store_true',
        help='save the matching weights even if some of the encoder are missing or of the '
        'wrong shape (by default nothing is saved and the exit status is 1)',
    )
    add_trust_flag(parser, 'an input')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        checkpoint = load_checkpoint(args.input, trust=args.trust_checkpoint)
    except (UnsafeCheckpointError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    state_dict = extract_state_dict(checkpoint)
    state_dict = strip_prefixes(state_dict, WRAPPER_PREFIXES + tuple(args.prefix))
    state_dict = drop_prefixed(state_dict, HEAD_PREFIXES + tuple(args.drop))
    model = ResNet(args.depth, out_indices=args.out_indices)
    matched, report = match_state_dict(model, state_dict)
    print(report.format())
    if (report.missing or report.mismatched) and not args.allow_partial:
        print(
            f'not saved: {len(report.missing)} missing and {len(report.mismatched)} wrong-shape '
            'encoder weights (--allow-partial saves the rest)',
            file=sys.stderr,
        )
        return 1
    buffer = io.BytesIO()
    torch.save({'state_dict': {args.out_prefix + k: v for k, v in matched.items()}}, buffer)
    atomic_write(args.output, buffer.getvalue())
    print(f'saved {len(matched)} tensors to {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
