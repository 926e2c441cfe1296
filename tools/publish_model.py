"""Publish a training checkpoint's encoder into the model zoo.

    python tools/publish_model.py CKPT --name NAME [--default] [--train-config CFG]
                                  [--train-command CMD] [--work-dir DIR] [--zoo DIR]
                                  [--after EARLIER_CKPT [EARLIER_CONFIG]] ...

CKPT is a checkpoint file, its ``last_checkpoint`` file or training work dir.
The encoder's weights are written as ``fgvc/weights/NAME.safetensors``
(float32), its sha256, encoder config, training config and command are
recorded in ``fgvc/weights/zoo.json``, and a summary of the training logs
(losses per epoch, wall time) goes to ``fgvc/weights/NAME.md``. ``--zoo`` (or
``FGVC_ZOO``) writes into another zoo folder. A training in stages (each
starting from the weights the one before saved, its ``load_from``) names the
checkpoint each earlier stage ended with (and, unless it is found like
``--train-config``, its config), first stage first, with ``--after``: their
logs are summarised too. ``--after zoo:NAME`` says the training started from
the zoo model NAME's weights (a config whose encoder ``init_cfg`` loads
``fgvc/weights/NAME.safetensors``): that model's records are its stages. ``Predictor()`` and the tools
then use the zoo's default model when no checkpoint is given.
"""

import argparse

from fgvc.cli.options import add_trust_flag, one_line_errors
from fgvc.models.zoo import ZOO_ENV
from fgvc.zoo.publish import describe_publication, publish_checkpoint


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Publish a checkpoint's encoder into the zoo")
    parser.add_argument('checkpoint', help='checkpoint file, last_checkpoint file or work dir')
    parser.add_argument('--name', required=True, help='model name (letters, digits, _ - .)')
    parser.add_argument(
        '--default', action='store_true', help='make it the model used when none is given'
    )
    parser.add_argument(
        '--train-config', help='the config that trained it (default: found under configs/)'
    )
    parser.add_argument(
        '--train-command', help='the command that trained it (default: tools/train.py CONFIG)'
    )
    parser.add_argument('--work-dir', help="training logs to summarise (default: CKPT's folder)")
    parser.add_argument('--zoo', help=f'zoo folder (default: ${ZOO_ENV} or fgvc/weights)')
    parser.add_argument(
        '--after',
        action='append',
        default=[],
        nargs='+',
        metavar='EARLIER',
        help='checkpoint an earlier training stage ended with, which this one started from, '
        "and optionally that stage's config, or zoo:NAME for a zoo model it started from; "
        'repeat for more stages, first stage first',
    )
    add_trust_flag(parser)
    args = parser.parse_args(argv)
    if any(len(values) > 2 for values in args.after):
        parser.error('--after takes a checkpoint and at most its config')
    args.after = [(values[0], values[1] if len(values) == 2 else None) for values in args.after]
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    with one_line_errors():
        publication = publish_checkpoint(
            args.checkpoint,
            args.name,
            zoo_dir=args.zoo,
            train_config=args.train_config,
            train_command=args.train_command,
            work_dir=args.work_dir,
            make_default=args.default,
            trust=args.trust_checkpoint,
            earlier_stages=args.after,
        )
    print(describe_publication(publication))


if __name__ == '__main__':
    main()
