"""Evaluate an encoder on one task: ``tools/test.py CONFIG CKPT --task TASK``."""

import argparse

from fgvc.cli.evaluate import evaluate_task
from fgvc.cli.options import add_adaptation_args, add_cfg_options, add_launcher_args, add_trust_flag


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate an FGVC encoder on one task')
    parser.add_argument('config', help='evaluation config file')
    parser.add_argument(
        'checkpoint',
        help="checkpoint file, a last_checkpoint file or a training work dir; 'none' for an "
        'untrained encoder. The encoder width and depth come from the training config '
        'stored in the checkpoint',
    )
    add_trust_flag(parser)
    parser.add_argument('--task', required=True, help="a key of the config's `tasks` dict")
    parser.add_argument('--work-dir', help='where results go (default work_dirs/<config>)')
    parser.add_argument('--data-root', help='dataset location for the task (overrides config)')
    add_cfg_options(parser)
    parser.add_argument(
        '--show-dir', help='draw predictions over the frames (images and mp4) into DIR/<task>/'
    )
    parser.add_argument(
        '--resume',
        action='store_true',
        help='keep the videos an interrupted run of this task finished in --work-dir',
    )
    parser.add_argument(
        '--dump', metavar='DIR', help='write the predictions in the formats tools/score.py reads'
    )
    parser.add_argument(
        '--print-protocol', action='store_true', help='print the protocol record and exit'
    )
    add_adaptation_args(parser, "each video's")
    add_launcher_args(parser)
    return parser.parse_args()


def main():
    evaluate_task(**vars(parse_args()))


if __name__ == '__main__':
    main()
