"""Image and label-PNG reading: decode errors name the file; the palette."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fgvc.fileio import (
    VOID,
    davis_palette,
    read_index_png,
    read_rgb,
    write_palette_png,
    write_rgb,
)
from fgvc.fileio.video_reader import open_video

SIZE = (48, 64)


def noise(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (*SIZE, 3), np.uint8)


def truncate(path: Path) -> Path:
    data = path.read_bytes()
    cut = path.with_name('cut_' + path.name)
    cut.write_bytes(data[: len(data) // 2])
    return cut


def test_truncated_jpeg_and_png_frames_are_errors_naming_the_file(tmp_path):
    for name in ('frame.jpg', 'frame.png'):
        path = tmp_path / name
        write_rgb(str(path), noise())
        assert read_rgb(str(path)).shape == (*SIZE, 3)
        cut = truncate(path)
        with pytest.raises(ValueError, match=f'Cannot decode image {cut}'):
            read_rgb(str(cut))
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        read_rgb(str(tmp_path / 'missing.jpg'))


def test_jpeg_with_bytes_after_its_end_marker_still_reads(tmp_path):
    path = tmp_path / 'padded.jpg'
    write_rgb(str(path), noise())
    expected = read_rgb(str(path))
    path.write_bytes(path.read_bytes() + b'camera trailer')
    np.testing.assert_array_equal(read_rgb(str(path)), expected)


def test_truncated_mask_png_is_an_error_naming_the_file(tmp_path):
    labels = np.random.default_rng(1).integers(0, 4, SIZE).astype(np.uint8)
    labels[0, :5] = VOID
    path = tmp_path / '00000.png'
    write_palette_png(str(path), labels)
    np.testing.assert_array_equal(read_index_png(str(path)), labels)
    cut = truncate(path)
    with pytest.raises(ValueError, match=f'Cannot decode mask {cut}'):
        read_index_png(str(cut))
    rgb = tmp_path / 'rgb.png'
    Image.fromarray(noise()).save(rgb)
    with pytest.raises(ValueError, match=f'Mask {rgb} is a RGB image'):
        read_index_png(str(rgb))


def test_davis_palette_colours():
    palette = davis_palette()
    # the DAVIS / PASCAL VOC colour map: background black, then bit-spread ids
    assert palette[:4].tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
    assert palette[VOID].tolist() == [224, 224, 192]


@pytest.mark.parametrize('suffix, fourcc', [('.mp4', 'mp4v'), ('.avi', 'MJPG')])
def test_one_frame_video_can_be_read_again_from_its_start(tmp_path, suffix, fourcc):
    path = str(tmp_path / f'one{suffix}')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 25, SIZE[::-1])
    writer.write(np.full((*SIZE, 3), 100, np.uint8))
    writer.release()
    reader = open_video(path)
    assert len(reader) == 1
    first = reader.read(0, 1)
    np.testing.assert_array_equal(reader.read(0, 1), first)  # a second pass, as the demo draws
