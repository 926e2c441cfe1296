"""Tests of the synthetic flow, PFM I/O and the dataset layouts it writes."""

import json
import os
from dataclasses import replace

import cv2
import numpy as np
import pytest
import scipy.io
from PIL import Image

from fgvc.datasets.io.pfm import read_pfm, write_pfm
from fgvc.datasets.synthetic import (
    PRESETS,
    PhotometricConfig,
    generate_datasets,
    generate_video,
    make_scene,
    render,
    seed_rng,
)
from fgvc.datasets.synthetic.datasets import rendered_scenes
from fgvc.datasets.synthetic.flow import future_flows, past_flows
from fgvc.datasets.synthetic.geometry import bilinear, pixel_centres
from fgvc.datasets.synthetic.keypoints import actor_layer, layer_keypoints
from fgvc.datasets.synthetic.writers import badja, flyingthings

TINY = PRESETS['tiny']
FLOW = TINY.flow_scene
# Smooth noise textures: bilinear re-interpolation then costs well under one
# grey level, so the warp test measures the flow, not the texture.
SMOOTH = replace(
    FLOW,
    texture=replace(
        FLOW.texture, styles=('noise',), weights=(1.0,), feature_size=(4.0, 16.0), detail=8.0
    ),
)
# Flows are exact: a pixel's flow and the other frame's flow at its target undo
# each other up to float32 rounding unless the point is occluded.
FB_TOLERANCE = 0.01


def _edges(ids: np.ndarray) -> np.ndarray:
    """Pixels whose 3x3 neighbourhood shows more than one layer."""
    kernel = np.ones((3, 3), np.uint8)
    return cv2.dilate(ids, kernel) != cv2.erode(ids, kernel)


def _targets(flow: np.ndarray):
    """Target points q = p + flow, their pixel, whether q is inside the frame and
    whether q's bilinear support is (q is at least half a pixel from the border)."""
    h, w = flow.shape[:2]
    q = pixel_centres(h, w) + flow
    qi = np.floor(q).astype(int)
    inside = (qi[..., 0] >= 0) & (qi[..., 0] < w) & (qi[..., 1] >= 0) & (qi[..., 1] < h)
    supported = ((q >= 0.5) & (q <= np.array([w, h]) - 0.5)).all(-1)
    return q, np.clip(qi, 0, [w - 1, h - 1]), inside, supported


# --------------------------------------------------------------------- PFM


@pytest.mark.parametrize('little_endian', [True, False])
@pytest.mark.parametrize('channels', [1, 3])
def test_pfm_round_trip_bit_exact(tmp_path, little_endian, channels):
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((5, 7, channels)) * 100).astype(np.float32)
    arr[0, 0, 0] = -0.0
    path = str(tmp_path / 'a.pfm')
    write_pfm(path, arr, little_endian=little_endian)
    back = read_pfm(path)
    assert back.dtype == np.float32 and back.shape == arr.shape
    assert back.tobytes() == arr.tobytes()


def test_pfm_two_channels_padded(tmp_path):
    flow = np.arange(24, dtype=np.float32).reshape(3, 4, 2)
    write_pfm(str(tmp_path / 'f.pfm'), flow)
    back = read_pfm(str(tmp_path / 'f.pfm'))
    assert back.shape == (3, 4, 3)
    assert np.array_equal(back[..., :2], flow) and not back[..., 2].any()


@pytest.mark.parametrize(
    'magic,scale,dtype',
    [
        (b'PF', b'-1.0', '<f4'),
        (b'PF', b'1.0', '>f4'),
        (b'Pf', b'-0.5', '<f4'),
        (b'Pf', b'2', '>f4'),
    ],
)
def test_pfm_reads_hand_written_headers(tmp_path, magic, scale, dtype):
    c = 3 if magic == b'PF' else 1
    top_down = np.arange(2 * 3 * c, dtype=np.float32).reshape(2, 3, c) - 4.5
    data = magic + b'\n3 2\n' + scale + b'\n' + top_down[::-1].astype(dtype).tobytes()
    path = tmp_path / 'h.pfm'
    path.write_bytes(data)
    back = read_pfm(str(path))
    assert back.dtype == np.float32
    assert back.tobytes() == top_down.tobytes()


@pytest.mark.parametrize(
    'data',
    [
        b'P6\n3 2\n-1.0\n' + bytes(24),
        b'PF\n3 x\n-1.0\n' + bytes(72),
        b'PF\n3 2\n0\n' + bytes(72),
        b'PF\n3 2\n-1.0\n' + bytes(71),
        b'PF\n3',
        b'',
    ],
)
def test_pfm_corrupt_files_raise(tmp_path, data):
    path = tmp_path / 'bad.pfm'
    path.write_bytes(data)
    with pytest.raises(ValueError, match='bad.pfm'):
        read_pfm(str(path))


# --------------------------------------------------------------------- flow


def _written_sequence(tmp_path, cfg, seed):
    """Write one FlyingThings3D sequence and read it back from disk."""
    scene = make_scene(cfg, seed_rng(seed))
    frames, ids = render(scene)
    root = str(tmp_path)
    flyingthings.write_sequence(root, 0, scene, frames, ids)
    first = flyingthings.FIRST_FRAME_NUMBER
    n = len(frames)
    disk_frames = np.stack(
        [cv2.imread(flyingthings.frame_path(root, 0, first + t))[..., ::-1] for t in range(n)]
    )
    fwd = np.stack(
        [
            read_pfm(flyingthings.flow_path(root, 0, first + t, 'into_future'))[..., :2]
            for t in range(n - 1)
        ]
    )
    bwd = np.stack(
        [
            read_pfm(flyingthings.flow_path(root, 0, first + t, 'into_past'))[..., :2]
            for t in range(1, n)
        ]
    )
    return scene, frames, ids, disk_frames, fwd, bwd


def test_flyingthings_files_match_memory(tmp_path):
    scene, frames, ids, disk_frames, fwd, bwd = _written_sequence(tmp_path, FLOW, 0)
    assert np.array_equal(disk_frames, frames), 'frames are lossless WebP'
    assert np.array_equal(fwd, future_flows(scene, ids))
    assert np.array_equal(bwd, past_flows(scene, ids))
    right = flyingthings.flow_path(
        str(tmp_path), 0, flyingthings.FIRST_FRAME_NUMBER, 'into_future', 'right'
    )
    assert right.endswith('OpticalFlowIntoFuture_0006_R.pfm')
    assert np.array_equal(read_pfm(right)[..., :2], fwd[0])
    n = len(frames)
    last = flyingthings.FIRST_FRAME_NUMBER + n - 1
    assert not os.path.exists(flyingthings.flow_path(str(tmp_path), 0, last, 'into_future'))


def test_future_flow_warps_next_frame_onto_frame(tmp_path):
    """Sampling frame t+1 at p + into_future(t)(p) reproduces frame t where visible."""
    errors = []
    for seed in range(2):
        _, _, ids, frames, fwd, _ = _written_sequence(tmp_path / str(seed), SMOOTH, seed)
        for t in range(len(fwd)):
            q, qi, _, supported = _targets(fwd[t])
            visible = supported & (ids[t + 1][qi[..., 1], qi[..., 0]] == ids[t])
            ok = visible & ~_edges(ids[t]) & ~_edges(ids[t + 1])[qi[..., 1], qi[..., 0]]
            warped = bilinear(frames[t + 1].astype(np.float64), q)
            errors.append(np.abs(warped - frames[t])[ok].mean())
    assert np.mean(errors) < 1.0
    assert max(errors) < 1.0


def test_forward_backward_check_marks_layer_occlusions():
    checked, occlusions = 0, 0
    for seed in range(3):
        scene = make_scene(FLOW, seed_rng(seed))
        _, ids = render(scene)
        fwd, bwd = future_flows(scene, ids), past_flows(scene, ids)
        for t in range(len(fwd)):
            q, qi, inside, supported = _targets(fwd[t])
            back = bilinear(bwd[t].astype(np.float64), q)
            fb_occluded = ~inside | (np.linalg.norm(fwd[t] + back, axis=-1) > FB_TOLERANCE)
            truth = ~inside | (ids[t + 1][qi[..., 1], qi[..., 0]] != ids[t])
            far_from_edges = (
                ~_edges(ids[t])
                & ~_edges(ids[t + 1])[qi[..., 1], qi[..., 0]]
                & (supported | ~inside)
            )
            assert np.array_equal(fb_occluded[far_from_edges], truth[far_from_edges])
            checked += int(far_from_edges.sum())
            occlusions += int(truth[far_from_edges & inside].sum())
    assert checked > 1000 and occlusions > 0


def test_tracks_equal_chained_flow():
    cfg = replace(FLOW, num_points=64, late_query_fraction=0.2)
    steps = 0
    for seed in range(3):
        v = generate_video(cfg, seed)
        fwd, bwd = future_flows(v.scene, v.layer_ids), past_flows(v.scene, v.layer_ids)
        tr = v.tracks
        for n in range(len(tr.points)):
            q, owner = tr.query_frames[n], tr.layers[n]
            for direction, flows in ((1, fwd), (-1, bwd)):
                pos = tr.points[n, q].astype(np.float64)
                t = q
                while 0 <= t + direction < cfg.num_frames and not tr.occluded[n, t + direction]:
                    if not _support_on_layer(v.layer_ids[t], pos, owner):
                        break
                    flow = flows[t if direction > 0 else t - 1]
                    pos = pos + bilinear(flow.astype(np.float64), pos)
                    t += direction
                    assert np.abs(pos - tr.points[n, t]).max() < 0.05
                    steps += 1
    assert steps > 200


def _support_on_layer(ids: np.ndarray, xy: np.ndarray, layer: int) -> bool:
    h, w = ids.shape
    x0, y0 = int(np.floor(xy[0] - 0.5)), int(np.floor(xy[1] - 0.5))
    if x0 < 0 or y0 < 0 or x0 + 1 >= w or y0 + 1 >= h:
        return False
    return bool((ids[y0 : y0 + 2, x0 : x0 + 2] == layer).all())


# --------------------------------------------------------------------- appearance


def test_photometric_change_and_blur():
    base = replace(TINY.video_scene, photometric=PhotometricConfig())
    clean = generate_video(base, 1).video.astype(np.float64)
    bright = generate_video(
        replace(base, photometric=PhotometricConfig(brightness=20.0)), 1
    ).video.astype(np.float64)
    offsets = (bright - clean).mean(axis=(1, 2, 3))
    assert np.ptp(offsets) > 1.0
    blurred = generate_video(
        replace(base, photometric=PhotometricConfig(blur_sigma=(1.5, 1.5))), 1
    ).video.astype(np.float64)
    assert np.abs(np.diff(blurred, axis=2)).mean() < np.abs(np.diff(clean, axis=2)).mean()


# --------------------------------------------------------------------- layouts


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic')
    generate_datasets(str(root), TINY, seed=0)
    return root


def test_tiny_layouts(tiny_root):
    r = tiny_root
    assert (r / 'TAP-Vid/tapvid_davis/tapvid_davis.pkl').is_file()
    assert (r / 'FlyingThings3D/frames_cleanpass_webp/TRAIN/A/0001/right/0006.webp').is_file()
    assert (
        r / 'FlyingThings3D/optical_flow/TRAIN/A/0000/into_past/left/OpticalFlowIntoPast_0007_L.pfm'
    ).is_file()
    videos = json.loads((r / 'YouTube-VOS/train/youtube2018_train.json').read_text())
    assert len(videos) == TINY.youtube_vos
    for name, files in videos.items():
        assert files[:2] == ['00000.jpg', '00005.jpg']
        assert all((r / 'YouTube-VOS/train/JPEGImages' / name / f).is_file() for f in files)


def test_tiny_davis2017(tiny_root):
    seqs = (tiny_root / 'DAVIS/ImageSets/2017/val.txt').read_text().split()
    assert len(seqs) == TINY.davis
    for seq in seqs:
        ann = Image.open(tiny_root / 'DAVIS/Annotations/480p' / seq / '00000.png')
        assert ann.mode == 'P'
        labels = np.array(ann)
        assert set(np.unique(labels)) <= set(range(8)) | {255}
        assert (labels == 255).any() and (labels == 0).any()
        frame = Image.open(tiny_root / 'DAVIS/JPEGImages/480p' / seq / '00000.jpg')
        assert frame.size == labels.shape[::-1]


def test_tiny_jhmdb(tiny_root):
    lines = (tiny_root / 'JHMDB/val_list.txt').read_text().splitlines()
    assert len(lines) == TINY.jhmdb
    cfg = TINY.video_scene
    for line in lines:
        mat_path, frames_dir = line.split()
        pos = scipy.io.loadmat(tiny_root / mat_path)['pos_img']
        assert pos.shape == (2, 15, cfg.num_frames)
        assert sorted(os.listdir(tiny_root / frames_dir))[0] == '00001.png'
    # pos_img is the keypoints' pixel-centre position + 0.5 (MATLAB 1-based).
    scene, _, _, rng = next(rendered_scenes(cfg, 0, 1, 'jhmdb'))
    points, _ = layer_keypoints(scene, actor_layer(scene), 15, rng)
    pos = scipy.io.loadmat(tiny_root / lines[0].split()[0])['pos_img']
    np.testing.assert_allclose(pos, np.transpose(points, (2, 0, 1)) + 0.5)


def _on_disk(badja_path: str) -> str:
    """'DAVIS/<kind>/Full-Resolution/<seq>/<f>' -> '<kind>/480p/<seq>/<f>' (DAVIS2016 root)."""
    return badja_path.replace('DAVIS/', '', 1).replace('Full-Resolution', '480p')


def test_tiny_badja(tiny_root):
    davis_root = tiny_root / 'DAVIS2016'
    names = sorted(p.stem for p in (tiny_root / 'BADJA/joint_annotations').glob('*.json'))
    assert len(names) == TINY.badja
    hits, visible_total = 0, 0
    for seq in names:
        records = json.loads((tiny_root / f'BADJA/joint_annotations/{seq}.json').read_text())
        assert len(records) == -(-TINY.video_scene.num_frames // badja.ANNOTATION_STEP)
        for rec in records:
            assert len(rec['joints']) == badja.NUM_JOINTS == len(rec['visibility'])
            mask = np.array(Image.open(davis_root / _on_disk(rec['segmentation_path'])))
            assert set(np.unique(mask)) <= {0, 255}
            h, w = mask.shape
            assert (davis_root / _on_disk(rec['image_path'])).is_file()
            full_w, full_h = badja.FULL_RESOLUTION
            for (y, x), vis in zip(rec['joints'], rec['visibility']):
                if vis:
                    px = (x + badja.INDEX_OFFSET) * w / full_w
                    py = (y + badja.INDEX_OFFSET) * h / full_h
                    hits += int(mask[int(py), int(px)] == 255)
                    visible_total += 1
    assert visible_total > 0 and hits / visible_total > 0.9
