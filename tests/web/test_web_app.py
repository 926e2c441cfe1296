"""The web demo driven through its Python client on localhost: upload a
generated clip, two clicked points, track, and get the video and CSV back;
generate a sample and propagate its mask."""

import os
import socket
from pathlib import Path

import av
import numpy as np
import pytest
from gradio_client import Client, handle_file

from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.visualization import write_mp4
from fgvc.web import WebDemo
from fgvc.web.app import launch
from fgvc.web.session import add_click

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
FRAMES, HEIGHT, WIDTH, FPS = 8, 48, 64, 10
VELOCITY = 2.0  # px per frame, both axes
LAYER_BOX = (8, 8, 24, 20)  # the moving layer at frame 0: x, y, w, h
CLICKS = ((14, 12), (50, 38))  # pixel (column, row): on the layer, on the static background
TOLERANCE_PX = 3.0  # the uploaded clip is lossy H.264; raw patches follow it within this


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    work = tmp_path_factory.mktemp('web')
    demo = WebDemo(RAW_CONFIG, work_dir=str(work / 'runs'))
    port = free_port()
    page = launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    client = Client(f'http://127.0.0.1:{port}/', verbose=False, download_files=str(work / 'got'))
    yield client, work
    page.close()


def local_path(value) -> str:
    """A downloaded file's path (a video comes as a path or as {'video': path})"""
    return value['video'] if isinstance(value, dict) else value


def decoded_frames(value) -> int:
    with av.open(local_path(value)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264'
        return sum(1 for _ in container.decode(stream))


def test_uploaded_clip_two_clicks_tracked_video_and_csv_back(served, tmp_path):
    client, _ = served
    offsets = VELOCITY * np.arange(FRAMES)[:, None] * np.ones(2)
    frames, _ = render(make_moving_layer_scene(HEIGHT, WIDTH, offsets, LAYER_BOX, seed=0))
    clip = tmp_path / 'clip.mp4'
    write_mp4(frames, str(clip), FPS)
    points = ''
    for x, y in CLICKS:
        points = add_click(points, x, y)
    assert points == '0,14.5,12.5;0,50.5,38.5'

    video, files, summary = client.predict(
        handle_file(str(clip)), 'points', points, None, 'LocalMatcher', 0, api_name='/track'
    )
    assert 'tracked 2 points' in summary and f'through {FRAMES} frames' in summary
    assert 'no weights' in summary  # the raw-patch encoder: the page says which weights run
    assert decoded_frames(video) == FRAMES
    csv = next(f for f in files if f.endswith('tracks.csv'))
    rows = np.loadtxt(csv, delimiter=',', skiprows=1)
    assert rows.shape == (FRAMES * 2, 5)
    np.testing.assert_array_equal(rows[:, 0], np.repeat(np.arange(FRAMES), 2))
    np.testing.assert_array_equal(rows[:, 1], np.tile([0, 1], FRAMES))
    # the first point rides the layer, the second stays on the background
    xy = rows[:, 2:4].reshape(FRAMES, 2, 2)
    start = np.array([[14.5, 12.5], [50.5, 38.5]])
    expected = (
        start + np.array([1.0, 0.0])[None, :, None] * VELOCITY * np.arange(FRAMES)[:, None, None]
    )
    assert np.abs(xy - expected).max() < TOLERANCE_PX


def test_sample_and_its_mask_propagated(served):
    client, _ = served
    video, mask = client.predict('tiny', 3, api_name='/sample')
    result, files, summary = client.predict(
        handle_file(local_path(video)),
        'mask',
        '',
        handle_file(mask),
        'CoarseToFineMatcher',
        0,
        api_name='/track',
    )
    assert 'propagated the mask into 10 frames' in summary and 'CoarseToFineMatcher' in summary
    assert decoded_frames(result) == 10
    assert [Path(f).name for f in files] == ['masks-sample-tiny-3.zip']


def test_errors_show_as_one_line(served, tmp_path):
    client, _ = served
    clip = tmp_path / 'clip.mp4'
    write_mp4(np.zeros((3, 16, 16, 3), np.uint8), str(clip), FPS)
    with pytest.raises(Exception, match='No points'):
        client.predict(
            handle_file(str(clip)), 'points', '', None, 'LocalMatcher', 0, api_name='/track'
        )
    with pytest.raises(Exception, match='outside'):
        client.predict(
            handle_file(str(clip)), 'points', '0,40,4', None, 'LocalMatcher', 0, api_name='/track'
        )
