"""tools/track_stream.py on a generated video file with known motion (the
scene and ground truth of test_demo: a textured rectangle translating 2 px a
frame over a static background, written losslessly), with the parameter-free
raw-patch encoder."""

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from test_demo import (
    FRAMES,
    HEIGHT,
    RAW_CONFIG,
    WIDTH,
    grid_points,
    ground_truth,
    make_scene,
    write_video_cv2,
)

from fgvc.cli.track_stream import FrameSignals
from fgvc.datasets.synthetic import render
from fgvc.fileio.video_reader import open_video

ROOT = Path(__file__).resolve().parents[2]
LATE_FRAME = 4


def load_tool():
    spec = importlib.util.spec_from_file_location('track_stream', ROOT / 'tools/track_stream.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_tracks_csv(path: Path) -> np.ndarray:
    lines = path.read_text().splitlines()
    assert lines[0] == 'frame,point,x,y,visible'
    rows = [line.split(',') for line in lines[1:]]
    assert all(len(row) == 5 for row in rows), 'a partial row'
    return np.array(rows, dtype=np.float64).reshape(-1, 5)


@pytest.fixture(scope='module')
def stream_clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp('stream')
    scene = make_scene()
    frames, ids = render(scene)
    path = folder / 'layer.avi'
    write_video_cv2(frames, path, 'FFV1')
    return scene, ids, path


def test_stream_tracks_are_within_2px_of_the_truth(stream_clip, tmp_path):
    scene, ids, video = stream_clip
    xy = grid_points(HEIGHT, WIDTH, 8)
    gt_tracks, gt_visible = ground_truth(scene, ids[0], xy)
    # the first half queried at frame 0, the rest where they are at LATE_FRAME
    half = len(xy) // 2
    queries = [(0, *p) for p in xy[:half]] + [
        (LATE_FRAME, *p) for p in gt_tracks[LATE_FRAME, half:]
    ]
    queries_csv = tmp_path / 'queries.csv'
    queries_csv.write_text('t,x,y\n' + ''.join(f'{t},{x},{y}\n' for t, x, y in queries))
    out = tmp_path / 'out'
    load_tool().main(
        [str(video), '--out', str(out), '--queries', str(queries_csv), '--config', RAW_CONFIG]
        + ['--device', 'cpu', '--video']
    )
    rows = read_tracks_csv(out / 'tracks.csv')
    frame, point = rows[:, 0].astype(int), rows[:, 1].astype(int)
    for p in range(len(xy)):
        first = 0 if p < half else LATE_FRAME
        assert sorted(frame[point == p]) == list(range(first, FRAMES)), p
    visible = gt_visible[frame, point] & (frame >= 1)
    error = np.linalg.norm(rows[:, 2:4] - gt_tracks[frame, point], axis=1)
    assert (error[visible] < 2.0).mean() >= 0.9
    drawn = open_video(str(out / 'tracks.mp4'))
    assert (len(drawn), drawn.height, drawn.width) == (FRAMES, HEIGHT, WIDTH)


def test_ctrl_c_keeps_everything_written_readable(tmp_path):
    long_video = tmp_path / 'long.avi'
    frames = np.random.default_rng(0).integers(0, 256, (200, 32, 48, 3), np.uint8)
    write_video_cv2(frames, long_video, 'FFV1')  # 10 fps: 20 s when read in real time
    out = tmp_path / 'out'
    cmd = [sys.executable, str(ROOT / 'tools/track_stream.py'), str(long_video), '--out', str(out)]
    cmd += [
        '--config',
        RAW_CONFIG,
        '--device',
        'cpu',
        '--realtime',
        '--video',
        '--queries',
        'grid:3',
    ]
    proc = subprocess.Popen(
        cmd,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    csv = out / 'tracks.csv'
    deadline = time.time() + 300
    while not (csv.exists() and csv.read_text().count('\n') > 9 * 3):
        assert proc.poll() is None and time.time() < deadline, proc.stdout.read()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=120)[0]
    assert proc.returncode == 130, output
    assert 'Interrupted' in output
    rows = read_tracks_csv(csv)
    seen = int(rows[:, 0].max()) + 1
    assert 3 <= seen < 200 and len(rows) == 9 * seen
    assert len(open_video(str(out / 'tracks.mp4'))) == seen


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_frame_is_written_waits_for_the_whole_frame(signum):
    # the CI race this guards: Ctrl-C between a frame's CSV rows and its
    # video frame left the video one frame short of the CSV
    signals = FrameSignals()
    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    written = []
    try:
        signals.install()
        with pytest.raises(KeyboardInterrupt):
            with signals.whole_frame():
                os.kill(os.getpid(), signum)
                written.append('csv rows')
                written.append('video frame')
        assert written == ['csv rows', 'video frame']
        with pytest.raises(KeyboardInterrupt):  # outside a frame it stops at once
            os.kill(os.getpid(), signum)
            time.sleep(5)
            written.append('never')
        assert written == ['csv rows', 'video frame']
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])


def test_bad_sources_are_named(tmp_path, capsys):
    tool = load_tool()
    with pytest.raises(SystemExit, match='nothing.mp4'):
        tool.main([str(tmp_path / 'nothing.mp4'), '--out', str(tmp_path / 'o')])
