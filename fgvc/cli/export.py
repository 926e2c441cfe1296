"""Export the encoder to ONNX or TorchScript.

    python tools/export.py [CKPT] --format onnx|torchscript --out FILE [--config CFG]

CKPT is a checkpoint file, its ``last_checkpoint`` file or training work dir,
``zoo:NAME`` for a model shipped with the package, or ``none`` for the
untrained encoder; without it, the shipped default model is exported. The
exported graph maps normalised frames ``[B, 3, H, W]`` (what the data
preprocessor gives: resized, Lab, normalised) to L2-normalised features ``[B, C, h, w]``, with dynamic batch,
height and width. ``tools/demo.py --encoder-onnx FILE`` runs it through
onnxruntime.
"""

import argparse
import os.path as osp

from fgvc.apis import Predictor
from fgvc.apis.predictor import DEFAULT_CONFIG
from fgvc.apis.weights import names_no_file
from fgvc.models.export import FORMATS, export_encoder

from .options import (
    add_cfg_options,
    add_checkpoint_arg,
    add_trust_flag,
    announce_weights,
    check_distinct_paths,
    one_line_errors,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export the encoder to ONNX or TorchScript')
    add_checkpoint_arg(parser, 'checkpoint')
    parser.add_argument('--format', required=True, choices=FORMATS)
    parser.add_argument('--out', required=True, help='file to write (.onnx or .pt)')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='config with a tasks dict')
    parser.add_argument('--task', default='davis', help='the config task whose encoder is exported')
    add_cfg_options(parser)
    add_trust_flag(parser)
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """The output path, before any work: its folder exists, it is no input."""
    folder = osp.dirname(osp.abspath(args.out))
    if not osp.isdir(folder):
        raise FileNotFoundError(f'--out {args.out}: the folder {folder} does not exist')
    if osp.isdir(args.out):
        raise IsADirectoryError(f'--out {args.out} is a folder; name the file to write')
    checkpoint = None if names_no_file(args.checkpoint) else args.checkpoint
    check_distinct_paths({'--out': args.out}, {'CKPT': checkpoint, '--config': args.config})


def export(args: argparse.Namespace) -> None:
    check_args(args)
    predictor = Predictor(
        args.config,
        args.checkpoint,
        device='cpu',
        point_task=args.task,
        cfg_options=args.cfg_options,
        warn_untrained=False,
        trust_checkpoint=args.trust_pickle,
    )
    # the file the weights were read from (a work dir's checkpoint, a shipped model's)
    check_distinct_paths({'--out': args.out}, {'CKPT': predictor.checkpoint})
    announce_weights(predictor)
    export_encoder(predictor.model(args.task).backbone, args.format, args.out)
    print(f'Wrote the {args.format} encoder to {osp.abspath(args.out)}')


def main(argv=None) -> None:
    args = parse_args(argv)
    with one_line_errors():
        export(args)


if __name__ == '__main__':
    main()
