"""What the web page asks of the library, without a browser: clicks become
queries, points are drawn in their tracks' colours, samples, which weights run,
and the command line."""

import sys
from pathlib import Path

import numpy as np
import pytest

from fgvc.apis.predictor import ADAPTING
from fgvc.cli import web as web_cli
from fgvc.fileio import read_index_png
from fgvc.outputs.files import DEFAULT_RADIUS
from fgvc.visualization import draw_track_frame, track_colours
from fgvc.web import WebDemo
from fgvc.web.session import (
    DISPLAY_SIZE,
    add_click,
    display_scale,
    draw_points,
    first_frame,
    frame_view,
    weights_description,
)

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')


def test_a_click_on_a_pixel_queries_its_centre_in_the_first_frame():
    points = add_click('', 0, 0)
    assert points == '0,0.5,0.5'
    assert add_click(points, 10, 7) == '0,0.5,0.5;0,10.5,7.5'
    assert add_click('  ', 3, 4) == '0,3.5,4.5'
    # on a view enlarged 5 times, view pixels 50..54 are the frame's pixel 10
    assert add_click('', 50, 39, scale=5) == add_click('', 54, 35, scale=5) == '0,10.5,7.5'


def test_small_frames_are_shown_enlarged_pixel_for_pixel():
    assert display_scale(64, 48) == DISPLAY_SIZE // 64
    assert display_scale(480, 854) == 1
    frame = np.random.default_rng(0).integers(0, 256, (20, 30, 3), np.uint8)
    view = frame_view(frame, '0,5.5,5.5')
    scale = display_scale(20, 30)
    assert view.shape == (20 * scale, 30 * scale, 3)
    np.testing.assert_array_equal(view[::scale, ::scale], draw_points(frame, '0,5.5,5.5'))


def test_points_are_drawn_in_the_colours_of_their_tracks():
    frame = np.full((20, 30, 3), 90, np.uint8)
    drawn = draw_points(frame, '0,5.5,5.5;4,20.5,10.5;0,25.5,15.5')
    colours = track_colours(3)
    expected = draw_track_frame(
        frame,
        np.array([[[5.5, 5.5]], [[25.5, 15.5]]]),
        None,
        0,
        colours[[0, 2]],
        DEFAULT_RADIUS,
    )
    np.testing.assert_array_equal(drawn, expected)  # the frame-4 point is not shown
    assert draw_points(frame, '') is frame


def test_sample_clip_and_its_first_frame_mask(tmp_path):
    demo = WebDemo(RAW_CONFIG, work_dir=str(tmp_path))
    video, mask = demo.sample('tiny', 1)
    assert first_frame(video).shape == (64, 64, 3)
    labels = read_index_png(mask)
    assert labels.shape == (64, 64) and labels.max() >= 1  # at least one object
    with pytest.raises(ValueError, match='Unknown sample'):
        demo.sample('huge', 0)
    with pytest.raises(ValueError, match='Unknown matcher'):
        demo.predictor('FastMatcher', 0)


def test_the_page_says_which_weights_run(tmp_path):
    assert 'no weights' in WebDemo(RAW_CONFIG, work_dir=str(tmp_path)).weights
    small = {'model.backbone.base_channels': 8}
    untrained = WebDemo(EVAL_CONFIG, work_dir=str(tmp_path), cfg_options=small)
    assert 'UNTRAINED' in untrained.weights
    assert weights_description(untrained.predictor('LocalMatcher', 0)) == untrained.weights


def test_command_line_parses_and_says_what_to_install_without_gradio(monkeypatch, capsys):
    with pytest.raises(SystemExit) as done:
        web_cli.parse_args(['--help'])
    assert done.value.code == 0 and '--checkpoint' in capsys.readouterr().out
    args = web_cli.parse_args(['--port', '7999', '--short-side', '128'])
    assert (args.port, args.short_side, args.host) == (7999, 128, '127.0.0.1')
    monkeypatch.setitem(sys.modules, 'fgvc.web.app', None)  # as if gradio were missing
    with pytest.raises(SystemExit, match=r'needs Gradio.*fgvc\[web\]'):
        web_cli.main(['--config', RAW_CONFIG])


def test_a_run_reports_its_stages_to_the_page(tmp_path):
    demo = WebDemo(RAW_CONFIG, work_dir=str(tmp_path))
    video, mask = demo.sample('tiny', 2)
    calls = []

    def report(stage: str, done: int, total: int) -> None:
        calls.append((stage, done, total))

    result = demo.track(video, '0,10.5,10.5;0,40.5,30.5', 'DenseMatcher', 0, report)
    assert result.video.endswith('tracks.mp4') and 'DenseMatcher' in result.summary
    finals = {stage: (done, total) for stage, done, total in calls}
    assert finals == {'tracking': (10, 10), 'drawing': (10, 10)}
    calls.clear()
    demo.propagate(video, mask, 'LocalMatcher', 0, report)
    assert {stage for stage, _, _ in calls} == {'segmenting', 'drawing'}


def test_an_empty_step_count_adapts_a_mask_for_the_configs_default_and_points_not(tmp_path):
    small = {
        'model.backbone.base_channels': 8,
        'adaptation.default_steps': {'masks': 2, 'points': 0},
    }
    demo = WebDemo(EVAL_CONFIG, work_dir=str(tmp_path), cfg_options=small, short_side=None)
    video, mask = demo.sample('tiny', 2)
    stages = []

    def report(stage: str, done: int, total: int) -> None:
        stages.append((stage, done, total))

    masks = demo.propagate(video, mask, 'LocalMatcher', None, report)
    assert (ADAPTING, 2, 2) in stages and 'adaptation 2 steps' in masks.summary
    stages.clear()
    points = demo.track(video, '0,10.5,10.5', 'LocalMatcher', None, report)
    assert not [s for s in stages if s[0] == ADAPTING] and 'adaptation 0 steps' in points.summary
