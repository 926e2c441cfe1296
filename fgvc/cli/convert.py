"""Convert a torchvision / MoCo / DetCo / DINO or release ResNet checkpoint for FGVC.

A checkpoint of the authors' release (mmcv ``ConvModule`` names, detected by
its stem key ``conv1.conv.weight``) is renamed to ours: its encoder, and in a
training checkpoint its teacher and correlation discriminator (saved under
``losses.sup_loss.teacher.`` and ``losses.corr_da_loss.head.``, the names of
the release-named training config); every key maps or the tool says why
it is left out, and each encoder must fit ours exactly.

Any other checkpoint is unwrapped (``state_dict`` / ``model`` / ``module``),
its wrapper prefixes stripped (``module.``, ``encoder_q.``, ``encoder.``,
``backbone.``, ``student.`` and any ``--prefix``), its classifier heads (and
any ``--drop``) left out, and it is checked against our ``ResNet``. MoCo's
momentum encoder and queues are left out and reported; any other key that
maps nowhere stops the conversion (name it with ``--drop``). An encoder with
missing or wrong-shape weights is not saved (exit status 1) unless
``--allow-partial``.

The encoder is saved as ``{'state_dict': ...}`` with keys under
``--out-prefix`` (``backbone.conv1.weight``), or with ``--format safetensors``
as a safetensors file; both hold tensors only and load with no report.
With ``--out-indices 2`` (FGVC's encoder) ``layer4`` is not built: its keys
are reported and left out.

The input is loaded safely (weights, numpy values and argument namespaces
only); a checkpoint holding other types is refused unless
``--trust-pickle``.

Example::

    python tools/convert_checkpoint.py moco_v2_800ep.pth.tar r50_moco.pth \\
        --depth 50 --out-indices 2
    python tools/convert_checkpoint.py fgvc_release.pth fgvc_r18.safetensors \\
        --out-indices 2 --format safetensors
"""

import argparse
import sys
from typing import List, Optional, Sequence

from fgvc.models.backbones import ResNet
from fgvc.models.backbones.checkpoint_utils import convert_checkpoint
from fgvc.utils import WEIGHT_FORMATS, UnsafeCheckpointError, load_checkpoint, save_weights

from .options import add_trust_flag


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
    parser.add_argument(
        '--format', choices=WEIGHT_FORMATS, default='pth', help='file format of the output'
    )
    add_trust_flag(parser, 'an input')
    return parser.parse_args(argv)


def convert_file(
    source: str,
    target: str,
    depth: int = 18,
    out_indices: Sequence[int] = (3,),
    strip: Sequence[str] = (),
    drop: Sequence[str] = (),
    out_prefix: str = 'backbone.',
    allow_partial: bool = False,
    fmt: str = 'pth',
    trust: bool = False,
) -> int:
    """Convert the checkpoint file ``source`` for a ResNet of ``depth`` built up
    to the stages ``out_indices`` and save it as ``target`` (in ``fmt``),
    printing what was converted and left out; the arguments are the tool's
    options of the same names (``strip``: ``--prefix``, ``trust``:
    ``--trust-pickle``). Returns the exit status: 1, with the reason on
    stderr and nothing saved, when the checkpoint cannot be read or does not
    fit (unless ``allow_partial``)."""
    try:
        checkpoint = load_checkpoint(source, trust=trust)
    except (UnsafeCheckpointError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    encoder = ResNet(depth, out_indices=out_indices)
    conversion = convert_checkpoint(
        checkpoint,
        encoder,
        source,
        strip=strip,
        drop=drop,
        out_prefix=out_prefix,
        allow_partial=allow_partial,
    )
    print('\n'.join(conversion.lines))
    if conversion.error:
        print(conversion.error, file=sys.stderr)
        return 1
    save_weights(conversion.state_dict, target, fmt)
    print(f'saved {len(conversion.state_dict)} tensors to {target}')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return convert_file(
        args.input,
        args.output,
        depth=args.depth,
        out_indices=args.out_indices,
        strip=args.prefix,
        drop=args.drop,
        out_prefix=args.out_prefix,
        allow_partial=args.allow_partial,
        fmt=args.format,
        trust=args.trust_checkpoint,
    )


if __name__ == '__main__':
    sys.exit(main())
