"""Command-line options shared by the tools, each defined once, and their
checks: every option is checked before any work, and the input's errors end
a tool with one line (:func:`one_line_errors`)."""

import argparse
import contextlib
import os.path as osp
import re
import sys
from typing import Iterator, Mapping, Optional, Tuple

from mmengine.config import DictAction
from mmengine.registry.build_functions import build_from_cfg

from fgvc.apis.predictor import (
    DEFAULT_CONFIG,
    DEFAULT_SHORT_SIDE,
    Predictor,
    untrained_encoder_message,
)
from fgvc.apis.weights import CHECKPOINT_HELP, DEFAULT_WEIGHTS, is_untrained_arg
from fgvc.engine.adaptation import MAX_ADAPT_STEPS, check_steps
from fgvc.fileio import TRUST_FLAG

#: Errors that are the input's fault: reported in one line, without a traceback.
USER_ERRORS = (OSError, ValueError, KeyError, IndexError)
#: Exit status after Ctrl-C, as shells report it (128 + SIGINT).
INTERRUPTED = 130
DEFAULT_ADAPT_SEED = 0
DEFAULT_PORT = 29500
#: The flags of :func:`add_predictor_args` and :func:`add_adaptation_args`
#: (and ``--save-adapted``) by :class:`~fgvc.apis.Predictor` argument, for
#: its errors (``option_names``).
PREDICTOR_FLAGS = {
    'device': '--device',
    'short_side': '--short-side',
    'encoder_onnx': '--encoder-onnx',
    'adapt_steps': '--adapt',
    'save_adapted': '--save-adapted',
}


def one_line(error: BaseException) -> str:
    """An error's message on one line (further lines joined with '; ')."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return lines[0] + (' ' + '; '.join(lines[1:]) if lines[1:] else '')


def _innermost_build(error: BaseException) -> Optional[Tuple[str, Mapping]]:
    """``(class name, arguments)`` of the innermost object mmengine was
    building from a config (``build_from_cfg``) when ``error`` was raised,
    or None when it was raised outside such a build."""
    found, tb = None, error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code is build_from_cfg.__code__:
            obj_cls, args = frame.f_locals.get('obj_cls'), frame.f_locals.get('args')
            if obj_cls is not None and isinstance(args, Mapping):
                found = (getattr(obj_cls, '__name__', str(obj_cls)), args)
        tb = tb.tb_next
    return found


def config_build_error(error: TypeError) -> Optional[str]:
    """The one-line message of a ``TypeError`` that a config caused: a key
    given to a class built from the config (mmengine's ``build_from_cfg``)
    that its constructor does not take, or a required one it lacks at that
    call; None for any other ``TypeError`` (a programming error keeps its
    traceback)."""
    build = _innermost_build(error)
    if build is None:
        return None
    name, args = build
    unexpected = re.search(r"got an unexpected keyword argument '(\w+)'", str(error))
    if unexpected and unexpected.group(1) in args:
        return (
            f'the config gives {name} the key {unexpected.group(1)!r}, which it does not take '
            f'({error}): check the config and --cfg-options'
        )
    last = error.__traceback__
    while last.tb_next is not None:
        last = last.tb_next
    missing = re.search(r'missing \d+ required .*argument', str(error))
    if missing and last.tb_frame.f_code is build_from_cfg.__code__:
        return f'the config cannot build {name} ({error}): check the config and --cfg-options'
    return None


@contextlib.contextmanager
def one_line_errors(traceback: bool = False) -> Iterator[None]:
    """End the tool with ``error: <message>`` on one line (exit status 1) on
    the input's errors (:data:`USER_ERRORS`, and a config's keys that a class
    built from it does not take: :func:`config_build_error`), and with
    ``interrupted`` (exit status 130) on Ctrl-C; with ``traceback``
    (``--verbose``) errors propagate."""
    try:
        yield
    except KeyboardInterrupt:
        if traceback:
            raise
        print('interrupted (Ctrl-C): stopped', file=sys.stderr)
        sys.exit(INTERRUPTED)
    except USER_ERRORS as error:
        if traceback:
            raise
        sys.exit(f'error: {one_line(error)}')
    except TypeError as error:
        message = None if traceback else config_build_error(error)
        if message is None:
            raise
        sys.exit(f'error: {message}')


def check_distinct_paths(
    outputs: Mapping[str, Optional[str]], inputs: Mapping[str, Optional[str]]
) -> None:
    """Raise ``ValueError`` when an output path (by option name) is one of
    the input paths (or another output): writing it would destroy an input."""
    seen = {}
    for option, path in [*inputs.items(), *outputs.items()]:
        if path is None:
            continue
        key = osp.realpath(path)
        if key in seen and option in outputs:
            raise ValueError(
                f'{option} {path} is the same path as {seen[key]}: writing it would replace '
                'that file; choose another path'
            )
        seen.setdefault(key, option)


class _Given(argparse.Action):
    """Stores the value and notes that the option was given (``<dest>_given``)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f'{self.dest}_given', True)


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


def add_checkpoint_arg(parser: argparse.ArgumentParser, name: str = '--checkpoint') -> None:
    """The encoder weights (:mod:`fgvc.apis.weights`), by default the shipped
    model; ``name`` without dashes makes it an optional positional argument."""
    nargs = {} if name.startswith('-') else dict(nargs='?')
    parser.add_argument(name, default=DEFAULT_WEIGHTS, help=CHECKPOINT_HELP, **nargs)


def announce_weights(predictor: Predictor) -> None:
    """Say which weights the predictor's encoder has; warn on stderr when the
    default left it untrained."""
    print(f'Weights: {predictor.weights.description}')
    if predictor.weights.fallback and predictor.untrained:
        print(f'WARNING: {untrained_encoder_message(predictor.weights.fallback)}', file=sys.stderr)


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` (``KEY=VALUE`` entries, values read as
    numbers, booleans, None, strings, [lists] and (tuples)), with an entry it
    cannot read refused in one line naming it: mmengine recurses without end
    on a call such as ``dict(a=1, b=2)`` and fails with a traceback on a
    missing ``=`` or an unbalanced bracket."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        options = dict(getattr(namespace, self.dest, None) or {})
        for entry in values or ():
            key, equals, value = entry.partition('=')
            if not equals or not key:
                parser.error(f'{option_string} {entry!r}: expected KEY=VALUE')
            try:
                options[key] = self._parse_iterable(value)
            except (RecursionError, AssertionError, ValueError):
                parser.error(
                    f'{option_string} {entry!r}: cannot read the value (numbers, true/false, '
                    'None, strings, [lists] and (tuples) are read; a dict is set one key at '
                    f'a time, e.g. {key}.NAME=VALUE)'
                )
        setattr(namespace, self.dest, options)


def add_cfg_options(
    parser: argparse.ArgumentParser, example: str = 'model.propagation.topk=5', help: str = ''
) -> None:
    """``--cfg-options k=v ...`` parsed into a dict (applied by
    :func:`fgvc.utils.apply_overrides`, whose type switch the help explains)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        default={},
        help=help
        or f"override config entries, e.g. {example}; setting a part's type, e.g. "
        'model.propagation.matcher.type=CoarseToFineMatcher, switches that part: the options '
        'the new type also takes are kept, the others dropped (its defaults apply), and '
        'further keys set its options, e.g. model.propagation.matcher.refine_radius=12',
    )


def add_protocol_arg(parser: argparse.ArgumentParser) -> None:
    """``--protocol NAME``: one of the task's named protocols."""
    parser.add_argument(
        '--protocol',
        help="one of the task's protocols in the config (`tasks.<task>.protocols`): 'standard' "
        "(this project's settings) or 'release' (the authors' release); default: the task's "
        '`protocol` entry',
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


def add_adaptation_args(
    parser: argparse.ArgumentParser, frames: str = "the video's", config_default: bool = False
) -> None:
    """``--adapt STEPS`` and ``--adapt-seed``: test-time adaptation of the
    encoder. Without ``--adapt`` no step is taken, or, with
    ``config_default``, ``args.adapt`` is None: the config's
    ``adaptation.default_steps`` for the kind of video."""
    default = (
        "; default: the config's adaptation.default_steps (the shipped config: 40 for --mask, 0 for points)"
        if config_default
        else '; default 0'
    )
    parser.add_argument(
        '--adapt',
        type=int,
        default=None if config_default else 0,
        metavar='STEPS',
        help=f'fine-tune a copy of the encoder on {frames} frames for STEPS steps (at most '
        f"{MAX_ADAPT_STEPS}) before tracking (the config's `adaptation` settings: "
        'self-supervised, or, for masks, learning the first-frame mask; no later label read)'
        + default,
    )
    parser.add_argument(
        '--adapt-seed',
        type=int,
        default=DEFAULT_ADAPT_SEED,
        action=_Given,
        help='seed of --adapt',
    )


def check_adaptation_args(args: argparse.Namespace, count: bool = True) -> None:
    """The step count in range (with ``count``; a :class:`Predictor` checks
    its own), ``--adapt-seed`` not with ``--adapt 0``. A count of None (the
    config's default) is left to the Predictor."""
    if args.adapt is None:
        return
    if count:
        check_steps(args.adapt, '--adapt')
    if getattr(args, 'adapt_seed_given', False) and not args.adapt:
        raise ValueError('--adapt-seed is used only with --adapt STEPS (> 0)')


def check_encoder_args(args: argparse.Namespace) -> None:
    """``--checkpoint`` and ``--encoder-onnx`` name the weights: not both."""
    default = is_untrained_arg(args.checkpoint) or args.checkpoint == DEFAULT_WEIGHTS
    if args.encoder_onnx and not default:
        raise ValueError(
            f'--encoder-onnx {args.encoder_onnx} holds the encoder weights: --checkpoint '
            f'{args.checkpoint} would be ignored; give one of them'
        )


def predictor_from_args(args: argparse.Namespace, **options) -> Predictor:
    """The :class:`~fgvc.apis.Predictor` that the options of :func:`add_predictor_args`
    (and ``args.checkpoint``) describe; ``options`` go to it as they are."""
    check_encoder_args(args)
    return Predictor(
        args.config,
        args.checkpoint,
        args.device,
        args.short_side,
        cfg_options=args.cfg_options,
        encoder_onnx=args.encoder_onnx,
        warn_untrained=False,
        trust_checkpoint=args.trust_pickle,
        option_names=PREDICTOR_FLAGS,
        **options,
    )


def add_launcher_args(parser: argparse.ArgumentParser) -> None:
    """How the processes were started (``tools/dist_*.sh``) and mmengine's console messages."""
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument(
        '--port',
        type=int,
        default=DEFAULT_PORT,
        action=_Given,
        help='master port, with --launcher slurm',
    )
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="show mmengine's info messages on the console, and tracebacks of errors",
    )


def check_launcher_args(args: argparse.Namespace) -> None:
    """``--port`` only with ``--launcher slurm``."""
    if getattr(args, 'port_given', False) and args.launcher != 'slurm':
        raise ValueError('--port is used only with --launcher slurm (torchrun sets its own)')
