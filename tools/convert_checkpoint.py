"""Convert a torchvision / MoCo / DetCo / DINO ResNet checkpoint for FGVC.

Unwraps ``state_dict`` / ``model`` / ``module``, strips wrapper prefixes
(``module.``, ``encoder_q.``, ``encoder.``, ``backbone.``, ``student.`` and
any ``--prefix``), drops classifier heads, checks the result against our
``ResNet`` and saves ``{'state_dict': ...}`` with keys under ``--out-prefix``
(``backbone.conv1.weight``), ready for a model whose encoder attribute is
``backbone``. Keys the model lacks and keys of the wrong shape are reported
and left out.

With ``--out-indices 2`` (FGVC's encoder) ``layer4`` is not built, so its
keys are reported as unexpected and dropped: the output then loads with no
report at all.

Example::

    python tools/convert_checkpoint.py moco_v2_800ep.pth.tar r50_moco.pth \\
        --depth 50 --out-indices 2
"""

import argparse
import sys
from typing import List, Optional

import torch

from fgvc.models.backbones import (
    ResNet,
    drop_prefixed,
    extract_state_dict,
    load_checkpoint_file,
    match_state_dict,
    strip_prefixes,
)
from fgvc.models.backbones.checkpoint_utils import HEAD_PREFIXES, WRAPPER_PREFIXES


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
        '--strict',
        action='store_true',
        help='exit with status 1 and save nothing if a key is missing or has the wrong shape',
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    state_dict = extract_state_dict(load_checkpoint_file(args.input))
    state_dict = strip_prefixes(state_dict, WRAPPER_PREFIXES + tuple(args.prefix))
    state_dict = drop_prefixed(state_dict, HEAD_PREFIXES + tuple(args.drop))
    model = ResNet(args.depth, out_indices=args.out_indices)
    matched, report = match_state_dict(model, state_dict)
    print(report.format())
    if args.strict and (report.missing or report.mismatched):
        print('not saved: --strict and the checkpoint does not fit', file=sys.stderr)
        return 1
    torch.save({'state_dict': {args.out_prefix + k: v for k, v in matched.items()}}, args.output)
    print(f'saved {len(matched)} tensors to {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
