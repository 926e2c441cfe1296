"""Tracking the user's own video: tools/demo.py, fgvc.apis.Predictor, the video readers.

The test video is a textured rectangle translating over a static textured
background (exact ground truth from the synthetic scene model), written with
OpenCV losslessly (FFV1 .avi) and as an mp4. Tracking uses the parameter-free
raw-patch encoder, which follows motion by whole feature cells (2 px per
frame) almost perfectly on lossless frames; the mp4's compression blurs the
fine texture it matches (about 91% within 2 px instead of 98%).
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from fgvc.apis import Predictor
from fgvc.apis.predictor import encoder_size
from fgvc.apis.queries import grid_queries, parse_queries, validate_queries
from fgvc.datasets.synthetic import TextureConfig, make_moving_layer_scene, render
from fgvc.datasets.synthetic.tracks import follow
from fgvc.evaluation.functional import region_similarity
from fgvc.fileio import read_index_png
from fgvc.fileio.video_reader import open_video
from fgvc.outputs.files import MANIFEST, staged_output_dir
from fgvc.utils import LAST_CHECKPOINT
from fgvc.visualization import draw_tracks

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
FRAMES, HEIGHT, WIDTH = 12, 64, 96
VELOCITY = (2.0, 2.0)  # px per frame: one stride-2 feature cell
LAYER_BOX = (16, 16, 32, 24)
TEXTURE = TextureConfig(styles=('noise',), weights=(1.0,), feature_size=(1.0, 3.0), detail=48.0)
FPS = 10


def load_demo():
    spec = importlib.util.spec_from_file_location('demo', ROOT / 'tools/demo.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()


def make_scene(height=HEIGHT, width=WIDTH, velocity=VELOCITY, box=LAYER_BOX):
    offsets = np.asarray(velocity) * np.arange(FRAMES)[:, None]
    return make_moving_layer_scene(height, width, offsets, box, seed=0, texture=TEXTURE)


def write_video_cv2(frames: np.ndarray, path: Path, fourcc: str) -> None:
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*fourcc), FPS, (frames.shape[2], frames.shape[1])
    )
    assert writer.isOpened(), f'OpenCV cannot write {fourcc} to {path}'
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def grid_points(height: int, width: int, step: int) -> np.ndarray:
    """(x, y) pixel centres every ``step`` pixels."""
    xs, ys = np.meshgrid(
        np.arange(step // 2, width, step) + 0.5, np.arange(step // 2, height, step) + 0.5
    )
    return np.stack([xs.ravel(), ys.ravel()], 1)


def ground_truth(scene, ids0: np.ndarray, xy: np.ndarray):
    """Tracks [T, N, 2] and visibility [T, N] of frame-0 points ``xy``."""
    layers = ids0[xy[:, 1].astype(int), xy[:, 0].astype(int)].astype(np.int64)
    points, occluded = follow(scene, np.zeros(len(xy), np.int64), xy, layers)
    return points.transpose(1, 0, 2), ~occluded.T


def fraction_within(tracks, gt_tracks, gt_visible, pixels):
    err = np.linalg.norm(tracks - gt_tracks, axis=-1)
    return (err[gt_visible] < pixels).mean()


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """The scene, a lossless .avi and an mp4 of it, and the frames decoded from
    the mp4 (array and PNG folder)."""
    folder = tmp_path_factory.mktemp('clip')
    scene = make_scene()
    frames, ids = render(scene)
    avi, mp4 = folder / 'layer.avi', folder / 'layer.mp4'
    write_video_cv2(frames, avi, 'FFV1')
    write_video_cv2(frames, mp4, 'mp4v')
    decoded = open_video(str(mp4)).read(0, FRAMES)
    frames_dir = folder / 'frames'
    frames_dir.mkdir()
    for t, frame in enumerate(decoded):
        cv2.imwrite(str(frames_dir / f'{t:05d}.png'), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return dict(
        scene=scene,
        frames=frames,
        ids=ids,
        avi=avi,
        mp4=mp4,
        decoded=decoded,
        frames_dir=frames_dir,
        folder=folder,
    )


@pytest.fixture(scope='module')
def raw_predictor():
    return Predictor(RAW_CONFIG)


def leftovers(parent: Path):
    return [p.name for p in parent.iterdir() if '.partial-' in p.name or '.old-' in p.name]


def test_cli_tracks_known_motion_and_writes_every_output(clip, tmp_path):
    xy = grid_points(HEIGHT, WIDTH, 8)
    gt_tracks, gt_visible = ground_truth(clip['scene'], clip['ids'][0], xy)
    csv = tmp_path / 'queries.csv'
    csv.write_text('t,x,y\n' + ''.join(f'0,{x},{y}\n' for x, y in xy))
    out = tmp_path / 'out'
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1')
    result = subprocess.run(
        [
            sys.executable,
            'tools/demo.py',
            str(clip['avi']),
            '--config',
            RAW_CONFIG,
            '--queries',
            str(csv),
            '--out',
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'UNTRAINED' not in result.stderr  # the raw-patch encoder has no weights to train
    assert f'through {FRAMES} frames' in result.stdout and str(out) in result.stdout

    saved = np.load(out / 'tracks.npz')
    tracks, visible = saved['tracks'], saved['visibility']
    assert tracks.shape == (FRAMES, len(xy), 2) and visible.shape == (FRAMES, len(xy))
    np.testing.assert_allclose(saved['queries'][:, 1:], xy)
    assert saved['size'].tolist() == [HEIGHT, WIDTH]
    assert fraction_within(tracks, gt_tracks, gt_visible, 2.0) >= 0.9
    assert (visible == gt_visible).mean() >= 0.8

    rows = np.loadtxt(out / 'tracks.csv', delimiter=',', skiprows=1)
    assert (out / 'tracks.csv').read_text().splitlines()[0] == 'frame,point,x,y,visible'
    assert rows.shape == (FRAMES * len(xy), 5)
    np.testing.assert_allclose(rows[:, 2:4].reshape(FRAMES, -1, 2), tracks, atol=1e-3)
    np.testing.assert_array_equal(rows[:, 4].reshape(FRAMES, -1), visible)

    drawn = open_video(str(out / 'tracks.mp4'))
    assert (len(drawn), drawn.height, drawn.width) == (FRAMES, HEIGHT, WIDTH)
    assert leftovers(tmp_path) == []


def test_folder_mp4_and_array_give_the_same_tracks(clip, raw_predictor):
    queries = 'grid:5'
    from_mp4 = raw_predictor(str(clip['mp4']), queries)
    from_folder = raw_predictor(str(clip['frames_dir']), queries)
    from_array = raw_predictor(clip['decoded'], queries)
    # The three readers hand over bit-identical frames, but in chunks of
    # different sizes; the encoder's float sums then differ in order, which
    # moves a position (a weighted mean of heatmap peaks) by ~1e-4 px.
    for tracks, visible in (from_folder, from_array):
        np.testing.assert_allclose(tracks, from_mp4[0], rtol=0, atol=1e-3)
        np.testing.assert_array_equal(visible, from_mp4[1])


def test_resized_for_the_encoder_and_mapped_back(raw_predictor):
    """A video twice the size, encoded at half size: tracks in the video's own pixels."""
    scale = 2
    scene = make_scene(
        HEIGHT * scale,
        WIDTH * scale,
        np.multiply(VELOCITY, scale),
        tuple(v * scale for v in LAYER_BOX),
    )
    frames, ids = render(scene)
    predictor = Predictor(RAW_CONFIG, short_side=HEIGHT)
    assert predictor.encoder_size(open_video(frames)) == (HEIGHT, WIDTH)
    xy = grid_points(HEIGHT * scale, WIDTH * scale, 8 * scale)
    gt_tracks, gt_visible = ground_truth(scene, ids[0], xy)
    tracks, _ = predictor(frames, np.concatenate([np.zeros((len(xy), 1)), xy], 1))
    # one encoder pixel is `scale` video pixels
    assert fraction_within(tracks, gt_tracks, gt_visible, 2.0 * scale) >= 0.9


def test_later_query_frames_are_tracked_both_ways(clip, raw_predictor):
    """A point queried mid-video gets positions before its query frame too."""
    query_frame = FRAMES // 2
    xy = np.array([[32.5, 28.5], [80.5, 8.5]])  # on the layer, on the background
    gt_tracks, gt_visible = ground_truth(clip['scene'], clip['ids'][0], xy)
    at_query = gt_tracks[query_frame]
    tracks, _ = raw_predictor(
        clip['decoded'], np.concatenate([np.full((2, 1), query_frame), at_query], 1)
    )
    assert fraction_within(tracks, gt_tracks, gt_visible, 2.0) >= 0.9


def test_mask_mode_writes_davis_pngs_and_an_overlay(clip, tmp_path):
    first = (clip['ids'][0] == 1).astype(np.uint8) * 255  # a grey 0/255 mask: one object
    mask_path = tmp_path / 'first.png'
    Image.fromarray(first, mode='L').save(mask_path)
    out = tmp_path / 'out'
    demo.main(
        [str(clip['avi']), '--config', RAW_CONFIG, '--mask', str(mask_path), '--out', str(out)]
    )
    names = sorted(p.name for p in (out / 'masks' / 'layer').iterdir())
    assert names == [f'{t:05d}.png' for t in range(FRAMES)]
    with Image.open(out / 'masks' / 'layer' / '00005.png') as image:
        assert image.mode == 'P' and image.size == (WIDTH, HEIGHT)
    masks = np.stack([read_index_png(str(out / 'masks' / 'layer' / n)) for n in names])
    assert set(np.unique(masks)) <= {0, 1}
    assert region_similarity(masks == 1, clip['ids'] == 1).mean() >= 0.8
    overlay = open_video(str(out / 'overlay.mp4'))
    assert (len(overlay), overlay.height, overlay.width) == (FRAMES, HEIGHT, WIDTH)


def run_demo_expecting_error(argv, parent: Path) -> str:
    out = parent / 'out'
    with pytest.raises(SystemExit) as exit_info:
        demo.main([*argv, '--config', RAW_CONFIG, '--out', str(out)])
    assert not out.exists() and leftovers(parent) == []
    return str(exit_info.value.code)


def test_bad_inputs_stop_with_a_clear_message_and_no_output(clip, tmp_path):
    garbage = tmp_path / 'broken.mp4'
    garbage.write_bytes(b'not a video at all')
    assert 'broken.mp4' in run_demo_expecting_error([str(garbage)], tmp_path)
    assert 'not found' in run_demo_expecting_error([str(tmp_path / 'none.mp4')], tmp_path)
    mp4 = str(clip['mp4'])
    message = run_demo_expecting_error([mp4, '--queries', f'0,{WIDTH + 5},10'], tmp_path)
    assert 'outside the 96x64 frame' in message
    message = run_demo_expecting_error([mp4, '--queries', f'{FRAMES},10,10;0,5,5'], tmp_path)
    assert f'frame {FRAMES} is not a frame index of a video of {FRAMES} frames' in message
    small = tmp_path / 'small.png'
    Image.fromarray(np.zeros((HEIGHT // 2, WIDTH), np.uint8), mode='L').save(small)
    message = run_demo_expecting_error([mp4, '--mask', str(small)], tmp_path)
    assert 'mask is 96x32 but the frames' in message


def test_failure_after_writing_started_leaves_nothing(tmp_path):
    out = tmp_path / 'out'
    with pytest.raises(RuntimeError):
        with staged_output_dir(str(out)) as staging:
            Path(staging, 'tracks.npz').write_bytes(b'half')
            raise RuntimeError('interrupted')
    assert not out.exists() and leftovers(tmp_path) == []
    with staged_output_dir(str(out)) as staging:
        Path(staging, 'a.txt').write_text('first')
    # a library call: the error names the parameter (the demo names its --overwrite)
    with pytest.raises(FileExistsError, match=r'allow replacing it \(overwrite\)'):
        with staged_output_dir(str(out)):
            pass
    with staged_output_dir(str(out), overwrite=True) as staging:
        Path(staging, 'b.txt').write_text('second')
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, 'b.txt']
    assert leftovers(tmp_path) == []


def test_untrained_encoder_is_announced(clip, capsys):
    demo.main(
        [str(clip['frames_dir']), '--queries', 'grid:2', '--out', str(clip['folder'] / 'untrained')]
    )
    assert 'UNTRAINED' in capsys.readouterr().err
    with pytest.warns(UserWarning, match='quickstart'):
        Predictor()


def test_checkpoint_from_a_work_dir_brings_its_encoder_width(tmp_path):
    """A training work dir's last_checkpoint leads to a checkpoint whose stored
    config sets the quarter-width encoder of the quickstart."""
    trained = Predictor(cfg_options={'model.backbone.base_channels': 16}, warn_untrained=False)
    backbone = trained.model('davis').backbone
    with torch.no_grad():
        backbone.conv1.weight.normal_()
    cfg = Config(dict(model=dict(backbone=dict(type='ResNet', depth=18, base_channels=16))))
    path = tmp_path / 'epoch_1.pth'
    torch.save(
        dict(
            meta=dict(cfg=cfg.pretty_text),
            state_dict={f'backbone.{k}': v for k, v in backbone.state_dict().items()},
        ),
        path,
    )
    (tmp_path / LAST_CHECKPOINT).write_text(str(path))
    loaded = Predictor(checkpoint=str(tmp_path)).model('davis').backbone
    assert not Predictor(checkpoint=str(tmp_path)).untrained
    torch.testing.assert_close(loaded.conv1.weight, backbone.conv1.weight)
    with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
        Predictor(checkpoint=str(tmp_path / 'missing.pth'))


def test_query_specs():
    np.testing.assert_allclose(
        parse_queries('grid:2', 10, 20), [[0, 5, 2.5], [0, 15, 2.5], [0, 5, 7.5], [0, 15, 7.5]]
    )
    np.testing.assert_allclose(
        parse_queries(' 1, 2.5,3 ; 4,5,6 ', 10, 20), [[1, 2.5, 3], [4, 5, 6]]
    )
    assert grid_queries(3, 30, 30).shape == (9, 3)
    with pytest.raises(ValueError, match='grid:N'):
        parse_queries('grid:x', 10, 10)
    with pytest.raises(ValueError, match='expected "t,x,y"'):
        parse_queries('1,2', 10, 10)
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        parse_queries('missing.csv', 10, 10)
    with pytest.raises(ValueError, match='No query points'):
        validate_queries(np.zeros((0, 3)), 5, 10, 10)
    with pytest.raises(ValueError, match='not finite'):
        validate_queries(np.array([[0, np.nan, 1]]), 5, 10, 10)
    with pytest.raises(ValueError, match='frame 0.5'):
        validate_queries(np.array([[0.5, 1, 1]]), 5, 10, 10)
    validate_queries(np.array([[4, 10, 10], [0, 0, 0]]), 5, 10, 10)  # edges are inside
    # a stream: no last frame, and no frame size before its first frame
    validate_queries(np.array([[10**6, 10, 10]]), None, 10, 10)
    with pytest.raises(ValueError, match=r'frame -1 is not a frame index \(a whole number >= 0\)'):
        validate_queries(np.array([[-1, 1, 1]]), None, 10, 10)
    with pytest.raises(ValueError, match='frame 2.5 is not a frame index'):
        validate_queries(np.array([[2.5, 1, 1]]), None, None, None)
    with pytest.raises(ValueError, match=r'\(11, 1\) is outside the 10x10 frame'):
        validate_queries(np.array([[0, 11, 1]]), None, 10, 10)
    validate_queries(np.array([[0, 11, 1]]), None, None, None)


def test_encoder_size_keeps_aspect_and_never_enlarges():
    assert encoder_size(360, 640, 256) == (256, 456)
    assert encoder_size(1080, 1920, 256) == (256, 456)
    assert encoder_size(64, 96, 256) == (64, 96)
    assert encoder_size(99, 150, None) == (96, 152)


def test_video_readers_agree_and_name_bad_inputs(clip, tmp_path):
    frames = clip['decoded']
    gif = tmp_path / 'clip.gif'
    images = [Image.fromarray(f) for f in frames]
    images[0].save(gif, save_all=True, append_images=images[1:], duration=100, loop=0)
    for source in (str(clip['mp4']), str(gif)):
        reader = open_video(source)
        assert (len(reader), reader.height, reader.width) == (FRAMES, HEIGHT, WIDTH)
        sequential = reader.read(0, FRAMES)
        np.testing.assert_array_equal(reader.read(7, 9), sequential[7:9])  # seek back
        np.testing.assert_array_equal(reader.read(2, 3), sequential[2:3])
    np.testing.assert_array_equal(open_video(str(clip['avi'])).read(0, FRAMES), clip['frames'])
    with pytest.raises(IndexError, match='out of range'):
        open_video(frames).read(FRAMES - 1, FRAMES + 1)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='No frame images'):
        open_video(str(empty))
    mixed = tmp_path / 'mixed'
    mixed.mkdir()
    cv2.imwrite(str(mixed / '0.png'), frames[0])
    cv2.imwrite(str(mixed / '1.png'), frames[1][:32])
    with pytest.raises(ValueError, match='1.png is 96x32'):
        open_video(str(mixed)).read(0, 2)
    with pytest.raises(ValueError, match=r'uint8 \[T, H, W, 3\]'):
        open_video(frames[..., 0])


def test_trails_fade_with_age():
    video = np.zeros((5, 20, 40, 3), np.uint8)
    tracks = np.array([[[4.5 + 8 * t, 10.5] for t in range(5)]])  # moving right along y = 10
    last = draw_tracks(video, tracks, radius=1, trail=4)[4]
    newest, oldest = last[10, 28], last[10, 8]  # middle of the newest / oldest segment
    assert oldest.any() and newest.sum() > 2 * oldest.sum()
    assert not draw_tracks(video, tracks, radius=1)[4, 10, 8].any()  # no trail by default
