"""Drawing predictions over frames and writing them out."""

import cv2
import numpy as np

from fgvc.fileio import davis_palette
from fgvc.visualization import draw_tracks, overlay_masks, write_images, write_mp4


def test_tracks_are_drawn_where_predicted():
    video = np.zeros((2, 40, 50, 3), np.uint8)
    tracks = np.array([[[10.5, 20.5], [30.5, 5.5]]])  # one point, (x, y) per frame
    drawn = draw_tracks(video, tracks, np.array([[False, True]]), radius=3)
    assert drawn[0, 20, 10].any() and not drawn[0, 5, 30].any()
    assert not drawn[1, 5, 30].any() and drawn[1, 5, 33].any()  # occluded: a ring, hollow centre
    assert not video.any()  # input untouched


def test_masks_blend_the_palette_colour_and_leave_background():
    video = np.full((1, 6, 8, 3), 100, np.uint8)
    masks = np.zeros((1, 6, 8), np.uint8)
    masks[0, 2:4, 3:6] = 2
    out = overlay_masks(video, masks, alpha=0.5)
    np.testing.assert_array_equal(out[0, 0, 0], [100, 100, 100])
    expected = np.round(0.5 * 100 + 0.5 * davis_palette()[2].astype(float))
    np.testing.assert_array_equal(out[0, 3, 4], expected)


def test_images_and_mp4_are_written(tmp_path):
    frames = np.random.default_rng(0).integers(0, 256, (3, 32, 48, 3), dtype=np.uint8)
    write_images(frames, str(tmp_path / 'frames'))
    write_mp4(frames, str(tmp_path / 'video.mp4'), fps=5)
    assert sorted(p.name for p in (tmp_path / 'frames').iterdir()) == [
        '00000.jpg',
        '00001.jpg',
        '00002.jpg',
    ]
    capture = cv2.VideoCapture(str(tmp_path / 'video.mp4'))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 3
