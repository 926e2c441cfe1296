"""Predictor options for front ends: progress reported to a callback, and the
matcher chosen by name (the config's options that it takes kept)."""

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from fgvc.apis import Predictor
from fgvc.apis.predictor import ADAPTING, with_matcher
from fgvc.apis.progress import ProgressBar
from fgvc.cli.options import PREDICTOR_FLAGS
from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.fileio.video_reader import open_video
from fgvc.outputs.files import DRAWING, write_track_outputs
from fgvc.propagation import CoarseToFineMatcher, DenseMatcher, LocalMatcher

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
FRAMES, HEIGHT, WIDTH = 8, 40, 56
# LocalMatcher and DenseMatcher agree to this (docs/propagation.md).
MATCHERS_AGREE_PX = 0.01


@pytest.fixture(scope='module')
def frames() -> np.ndarray:
    offsets = 2.0 * np.arange(FRAMES)[:, None] * np.ones(2)
    return render(make_moving_layer_scene(HEIGHT, WIDTH, offsets, (8, 8, 20, 16), seed=1))[0]


class Reports:
    def __init__(self):
        self.calls = []

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.calls.append((stage, done, total))

    def of(self, stage: str):
        return [(done, total) for s, done, total in self.calls if s == stage]


def test_progress_bar_counts_when_hidden_and_never_passes_its_total():
    reports = Reports()
    with ProgressBar(5, 'work', show=False, callback=reports) as bar:
        bar.update(2)
        bar.update(9)
        bar.update(1)
        bar.finish()
    assert bar.n == 5
    assert reports.of('work') == [(0, 5), (2, 5), (5, 5)]


def test_tracking_and_drawing_report_progress_up_to_their_totals(frames, tmp_path):
    reports = Reports()
    predictor = Predictor(RAW_CONFIG, on_progress=reports)
    queries = np.array([[0, 12.5, 12.5], [3, 40.5, 30.5]])  # a later query: both directions
    tracks, visible = predictor(frames, queries)
    tracking = reports.of('tracking')
    assert tracking[0] == (0, 2 * FRAMES) and tracking[-1] == (2 * FRAMES, 2 * FRAMES)
    assert all(a[0] < b[0] for a, b in zip(tracking, tracking[1:]))  # strictly advancing
    write_track_outputs(
        str(tmp_path), open_video(frames), tracks, visible, queries, 10, 3, 2, on_progress=reports
    )
    assert reports.of(DRAWING)[-1] == (FRAMES, FRAMES)


def test_adaptation_is_reported_as_a_stage(frames):
    reports = Reports()
    small = {'model.backbone.base_channels': 8, 'adaptation.crop_size': (32, 32)}
    predictor = Predictor(
        EVAL_CONFIG,
        short_side=None,
        cfg_options=small,
        warn_untrained=False,
        adapt_steps=1,
        on_progress=reports,
    )
    predictor(frames, np.array([[0, 20.5, 20.5]]))
    assert reports.of(ADAPTING) == [(0, 1), (1, 1)]


def test_with_matcher_keeps_the_options_the_new_type_takes():
    local = dict(type='LocalMatcher', neighbor_range=24, tile=4)
    assert with_matcher(local, 'DenseMatcher') == dict(type='DenseMatcher', neighbor_range=24)
    assert with_matcher(local, 'CoarseToFineMatcher') == dict(type='CoarseToFineMatcher', tile=4)
    assert with_matcher({}, 'LocalMatcher') == dict(type='LocalMatcher')
    with pytest.raises(KeyError, match='Unknown matcher .NoSuchMatcher.*LocalMatcher'):
        with_matcher(local, 'NoSuchMatcher')


def test_predictor_matcher_replaces_the_configs_in_every_task(frames):
    queries = np.array([[0, 12.5, 12.5], [0, 40.5, 30.5], [0, 30.5, 8.5]])
    by_type = {}
    for name, cls in (
        ('LocalMatcher', LocalMatcher),
        ('DenseMatcher', DenseMatcher),
        ('CoarseToFineMatcher', CoarseToFineMatcher),
    ):
        predictor = Predictor(RAW_CONFIG, matcher=name)
        for task in ('davis', 'vos'):
            matcher = predictor.model(task).propagation.matcher
            assert type(matcher) is cls, (task, matcher)
        if name != 'CoarseToFineMatcher':
            assert matcher.neighbor_range == 30  # the config's vos option, kept
        by_type[name] = predictor(frames, queries)
    local, dense = by_type['LocalMatcher'], by_type['DenseMatcher']
    np.testing.assert_allclose(local[0], dense[0], atol=MATCHERS_AGREE_PX)
    np.testing.assert_array_equal(local[1], dense[1])


def test_errors_name_the_argument_or_the_name_the_caller_gives_it(tmp_path):
    """The library names its own arguments; a front end passes its flags
    (``option_names``), as the command-line tools do."""
    checkpoint = tmp_path / 'encoder.pth'
    torch.save(dict(state_dict={}), checkpoint)
    cases = [
        (dict(device='gpu0'), "device 'gpu0' is not a device", "--device 'gpu0' is not"),
        (dict(short_side=4), 'short_side must be at least 8', '--short-side must be at least 8'),
        (dict(adapt_steps=-1), 'adapt_steps needs a step count', '--adapt needs a step count'),
        (
            dict(adapt_steps=1, encoder_onnx='e.onnx'),
            'give adapt_steps 0, or no encoder_onnx',
            'give --adapt 0, or no --encoder-onnx',
        ),
        (
            dict(checkpoint=str(checkpoint), adapt_steps=1, save_adapted=str(checkpoint)),
            f'save_adapted {checkpoint} is the checkpoint being read',
            f'--save-adapted {checkpoint} is the checkpoint being read',
        ),
    ]
    for options, message, flagged in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            Predictor(RAW_CONFIG, **options)
        with pytest.raises(ValueError, match=re.escape(flagged)):
            Predictor(RAW_CONFIG, **options, option_names=PREDICTOR_FLAGS)
