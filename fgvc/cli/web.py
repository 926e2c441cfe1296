"""The web demo's command line: serve the page on localhost.

    python tools/web_demo.py [--checkpoint CKPT] [--port 7860] [--short-side 256]

Gradio is imported only once the options are read, so that without it the
command says what to install (``pip install "fgvc[web]"``).
"""

import argparse
import sys

from .options import (
    PREDICTOR_FLAGS,
    add_checkpoint_arg,
    add_predictor_args,
    check_encoder_args,
    one_line_errors,
)

DEFAULT_HOST = '127.0.0.1'
#: The flags that name Predictor arguments here (the page sets the adaptation).
WEB_FLAGS = {k: PREDICTOR_FLAGS[k] for k in ('device', 'short_side', 'encoder_onnx')}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track points or propagate a mask in the browser (a page on localhost)',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_checkpoint_arg(parser)
    add_predictor_args(parser)
    parser.add_argument('--host', default=DEFAULT_HOST, help='address to serve on')
    parser.add_argument('--port', type=int, help='port (default: the first free from 7860)')
    parser.add_argument('--work-dir', help='where runs are written (default: a temporary folder)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        from fgvc.web.app import launch
    except ImportError as err:
        sys.exit(f'error: the web demo needs Gradio ({err}): pip install "fgvc[web]"')
    from fgvc.web import WebDemo

    with one_line_errors():  # device, short side, weights: checked before serving
        check_encoder_args(args)
        demo = WebDemo(
            args.config,
            args.checkpoint,
            args.device,
            args.short_side,
            args.work_dir,
            args.trust_pickle,
            cfg_options=args.cfg_options,
            encoder_onnx=args.encoder_onnx,
            option_names=WEB_FLAGS,
        )
    print(f'Weights: {demo.weights}. Runs are written to {demo.work_dir}')
    launch(demo, args.host, args.port)


if __name__ == '__main__':
    main()
