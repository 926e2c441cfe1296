"""tools/demo.py through its main: --fps, --radius, --trail and --alpha
change the video it writes."""

import av
import numpy as np
from test_demo_h264 import RAW_CONFIG, generated_clip, load_demo

CHANGED = 40  # a pixel drawn over differs by more than this (of 255) in some channel


def decoded(path) -> tuple:
    """(frame rate, frames [T, H, W, 3] int) of an mp4."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
        return float(stream.average_rate), np.stack(frames).astype(int)


def changed_pixels(a: np.ndarray, b: np.ndarray) -> int:
    return int((np.abs(a - b).max(-1) > CHANGED).sum())


def test_frame_rate_radius_trail_and_opacity_are_drawn(tmp_path):
    demo = load_demo()
    clip, mask = generated_clip(tmp_path)
    common = [str(clip), '--config', RAW_CONFIG]
    points = common + ['--queries', '0,16.5,14.5']
    videos = {}
    for name, options in {
        'base': ['--radius', '1', '--trail', '0', '--fps', '5'],
        'again': ['--radius', '1', '--trail', '0'],
        'radius': ['--radius', '4', '--trail', '0'],
        'trail': ['--radius', '1', '--trail', '6'],
    }.items():
        demo.main([*points, '--out', str(tmp_path / name), *options])
        videos[name] = decoded(tmp_path / name / 'tracks.mp4')
    assert videos['base'][0] == 5 and videos['again'][0] != 5
    base = videos['again'][1]  # compared at one rate: H.264 at another rate changes ~8 pixels
    changed = {
        k: [changed_pixels(v[1][t], base[t]) for t in range(len(base))] for k, v in videos.items()
    }
    assert min(changed['radius']) > 60  # a disc of radius 4 instead of 1, in every frame
    # a trail behind the moving point: none at the first frame, growing after it
    assert changed['trail'][0] == 0 and sum(changed['trail'][-4:]) > 4 * 15

    overlays = {}
    for alpha in ('0', '1'):
        demo.main([*common, '--mask', str(mask), '--alpha', alpha, '--out', str(tmp_path / alpha)])
        overlays[alpha] = decoded(tmp_path / alpha / 'overlay.mp4')[1]
    source = decoded(tmp_path / 'again' / 'tracks.mp4')[1]  # frames with a 1-pixel point
    assert changed_pixels(overlays['0'][0], source[0]) <= 20  # opacity 0: the frame itself
    assert changed_pixels(overlays['1'][0], source[0]) > 200  # the layer painted over
