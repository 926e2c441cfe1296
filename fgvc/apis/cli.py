"""Command-line options shared by the tools, each defined once."""

import argparse

from mmengine.config import DictAction

from fgvc.fileio import TRUST_FLAG

from .predictor import DEFAULT_CONFIG, DEFAULT_SHORT_SIDE, Predictor


class _TrustPickles(argparse.Action):
    """Sets ``trust_pickle`` and, under its earlier name, ``trust_checkpoint``."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        namespace.trust_pickle = namespace.trust_checkpoint = True


def add_trust_flag(parser: argparse.ArgumentParser, what: str = 'a checkpoint') -> None:
    """The one trust flag, ``--trust-pickle`` (``--trust-checkpoint`` is the
    same flag): unpickle files (checkpoints, TAP-Vid data, predictions) that
    hold other types than weights, arrays and containers. Sets
    ``args.trust_pickle`` (and ``args.trust_checkpoint``)."""
    parser.add_argument(
        TRUST_FLAG,
        '--trust-checkpoint',
        action=_TrustPickles,
        nargs=0,
        help=f'load {what} holding other types than weights, arrays and containers: '
        'unpickling it can run code, so only for files you trust',
    )
    parser.set_defaults(trust_pickle=False, trust_checkpoint=False)


def add_cfg_options(
    parser: argparse.ArgumentParser, example: str = 'model.propagation.topk=5', help: str = ''
) -> None:
    """``--cfg-options k=v ...`` parsed into a dict."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help=help or f'override config entries, e.g. {example}',
    )


def add_predictor_args(
    parser: argparse.ArgumentParser,
    short_side: int = DEFAULT_SHORT_SIDE,
    device: str = 'auto',
) -> None:
    """How a :class:`~fgvc.apis.Predictor` is built: config, overrides, input size,
    device, an exported encoder and the trust flag."""
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='config with a tasks dict')
    add_cfg_options(parser)
    parser.add_argument(
        '--short-side',
        type=int,
        default=short_side,
        help='encoder input short side in pixels (frames are never enlarged); smaller is faster',
    )
    parser.add_argument('--device', default=device, help="'auto', 'cpu', 'cuda', 'cuda:1', ...")
    parser.add_argument(
        '--encoder-onnx',
        help='run this ONNX encoder (tools/export.py) with onnxruntime instead of PyTorch',
    )
    add_trust_flag(parser)


def add_adaptation_args(parser: argparse.ArgumentParser, frames: str = "the video's") -> None:
    """``--adapt STEPS`` and ``--adapt-seed``: test-time adaptation of the encoder."""
    parser.add_argument(
        '--adapt',
        type=int,
        default=0,
        metavar='STEPS',
        help=f'fine-tune a copy of the encoder on {frames} frames for STEPS steps before '
        "tracking (self-supervised, the config's `adaptation` settings; labels never read)",
    )
    parser.add_argument('--adapt-seed', type=int, default=0, help='seed of --adapt')


def predictor_from_args(args: argparse.Namespace, **options) -> Predictor:
    """The :class:`~fgvc.apis.Predictor` that the options of :func:`add_predictor_args`
    (and ``args.checkpoint``) describe; ``options`` go to it as they are."""
    return Predictor(
        args.config,
        args.checkpoint,
        args.device,
        args.short_side,
        cfg_options=args.cfg_options,
        encoder_onnx=args.encoder_onnx,
        warn_untrained=False,
        trust_checkpoint=args.trust_pickle,
        **options,
    )


def add_launcher_args(parser: argparse.ArgumentParser) -> None:
    """How the processes were started (``tools/dist_*.sh``) and mmengine's console messages."""
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--port', type=int, default=29500, help='master port for slurm')
    parser.add_argument(
        '--verbose', action='store_true', help="show mmengine's info messages on the console"
    )
