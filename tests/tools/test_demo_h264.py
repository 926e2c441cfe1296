"""tools/demo.py writes videos browsers play: H.264 mp4s with every frame of the input."""

import importlib.util
from pathlib import Path

import av
import numpy as np
from PIL import Image

from fgvc.datasets.synthetic import make_moving_layer_scene, render
from fgvc.fileio import write_rgb

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
FRAMES, HEIGHT, WIDTH = 9, 48, 64


def load_demo():
    spec = importlib.util.spec_from_file_location('demo', ROOT / 'tools/demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generated_clip(folder: Path):
    """A textured layer moving over a background, as a folder of PNG frames,
    and the layer's first-frame mask (grey 0/255)."""
    offsets = 2.0 * np.arange(FRAMES)[:, None] * np.ones(2)
    frames, ids = render(make_moving_layer_scene(HEIGHT, WIDTH, offsets, (8, 8, 24, 20), seed=0))
    for t, frame in enumerate(frames):
        write_rgb(str(folder / 'clip' / f'{t:05d}.png'), frame)
    mask = folder / 'first.png'
    Image.fromarray((ids[0] == 1).astype(np.uint8) * 255, mode='L').save(mask)
    return folder / 'clip', mask


def video_stream(path: Path):
    """(codec, size, frames decoded) of an mp4, read with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        return stream.codec_context.name, (stream.width, stream.height), count


def test_tracks_and_mask_overlay_are_h264_with_every_frame(tmp_path):
    demo = load_demo()
    clip, mask = generated_clip(tmp_path)
    common = ['--config', RAW_CONFIG, '--overwrite']
    demo.main([str(clip), '--queries', 'grid:3', '--out', str(tmp_path / 'points'), *common])
    demo.main([str(clip), '--mask', str(mask), '--out', str(tmp_path / 'mask'), *common])
    for video in (tmp_path / 'points' / 'tracks.mp4', tmp_path / 'mask' / 'overlay.mp4'):
        assert video_stream(video) == ('h264', (WIDTH, HEIGHT), FRAMES), video
