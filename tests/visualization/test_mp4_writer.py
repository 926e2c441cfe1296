"""The mp4 writer: H.264 through PyAV that browsers play, OpenCV's mp4v without PyAV."""

import sys

import av
import numpy as np
import pytest

from fgvc.fileio.video_reader import open_video
from fgvc.visualization import Mp4Writer, write_mp4
from fgvc.visualization.writers import even_sized

FRAMES, HEIGHT, WIDTH, FPS = 7, 36, 52, 12
# H.264 at the encoder's default quality keeps smooth frames within a few levels.
MEAN_ERROR_LEVELS = 4.0


def smooth_frames(frames=FRAMES, height=HEIGHT, width=WIDTH) -> np.ndarray:
    """Gradients that move: lossy coding keeps them close, so the frames can be compared."""
    y, x = np.mgrid[:height, :width]
    out = np.empty((frames, height, width, 3), np.uint8)
    for t in range(frames):
        out[t, ..., 0] = (x * 4 + t * 8) % 256
        out[t, ..., 1] = (y * 5) % 256
        out[t, ..., 2] = 128
    return out


def probe(path) -> dict:
    """Codec, pixel format, size, frame rate, frames decoded, and where the index sits."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
        info = dict(
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt,
            size=(stream.codec_context.width, stream.codec_context.height),
            rate=stream.average_rate,
            frames=np.stack(frames),
        )
    data = open(path, 'rb').read()
    info['index_first'] = 0 <= data.find(b'moov') < data.find(b'mdat')
    return info


def test_h264_in_yuv420p_with_the_index_first_and_every_frame(tmp_path):
    frames = smooth_frames()
    path = tmp_path / 'sub' / 'video.mp4'
    write_mp4(frames, str(path), FPS)
    info = probe(path)
    assert info['codec'] == 'h264' and info['pix_fmt'] == 'yuv420p'
    assert info['size'] == (WIDTH, HEIGHT) and info['rate'] == FPS
    assert info['index_first']  # faststart: browsers play before the whole file arrives
    assert len(info['frames']) == FRAMES
    error = np.abs(info['frames'].astype(float) - frames).mean()
    assert error < MEAN_ERROR_LEVELS
    # OpenCV (the readers of the library) decodes it too
    assert len(open_video(str(path))) == FRAMES


def test_odd_sizes_are_padded_by_repeating_the_last_row_and_column(tmp_path):
    frames = smooth_frames(3, HEIGHT + 1, WIDTH + 1)
    padded = even_sized(frames[0])
    assert padded.shape == (HEIGHT + 2, WIDTH + 2, 3)
    np.testing.assert_array_equal(padded[: HEIGHT + 1, : WIDTH + 1], frames[0])
    np.testing.assert_array_equal(padded[-1, : WIDTH + 1], frames[0][-1])
    np.testing.assert_array_equal(padded[: HEIGHT + 1, -1], frames[0][:, -1])
    even = frames[0][:-1, :-1]
    assert even_sized(even) is even
    path = tmp_path / 'odd.mp4'
    write_mp4(frames, str(path), FPS)
    info = probe(path)
    assert info['size'] == (WIDTH + 2, HEIGHT + 2) and len(info['frames']) == 3


def test_ntsc_rate_is_kept_as_a_fraction(tmp_path):
    path = tmp_path / 'ntsc.mp4'
    write_mp4(smooth_frames(3), str(path), 30000 / 1001)
    assert probe(path)['rate'] * 1001 == 30000


def test_paths_that_are_not_utf8_are_written(tmp_path):
    name = b'clip-\xff.mp4'.decode(sys.getfilesystemencoding(), 'surrogateescape')
    path = tmp_path / name
    write_mp4(smooth_frames(2), str(path), FPS)
    assert path.is_file() and len(probe(path)['frames']) == 2


def test_size_changes_and_bad_rates_are_refused(tmp_path):
    with pytest.raises(ValueError, match='must be > 0'):
        Mp4Writer(str(tmp_path / 'a.mp4'), 0)
    with Mp4Writer(str(tmp_path / 'b.mp4'), FPS) as writer:
        writer.write(smooth_frames(1)[0])
        with pytest.raises(ValueError, match=r'b\.mp4'):
            writer.write(smooth_frames(1, HEIGHT + 2)[0])


def test_without_pyav_opencv_writes_mp4v_and_warns(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'av', None)  # `import av` now raises ImportError
    path = tmp_path / 'fallback.mp4'
    with pytest.warns(UserWarning, match='PyAV is not installed.*fallback.mp4'):
        write_mp4(smooth_frames(), str(path), FPS)
    monkeypatch.undo()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'mpeg4'
        assert sum(1 for _ in container.decode(stream)) == FRAMES
    assert len(open_video(str(path))) == FRAMES


def test_without_pyav_a_name_that_is_not_utf8_is_written_through_an_alias(tmp_path, monkeypatch):
    """OpenCV cannot take such a name (it crashed on it): the fallback writes
    through a plain alias and leaves the file under its own name only."""
    monkeypatch.setitem(sys.modules, 'av', None)
    name = b'clip-\xff.mp4'.decode(sys.getfilesystemencoding(), 'surrogateescape')
    path = tmp_path / name
    with pytest.warns(UserWarning, match=r'PyAV is not installed.*clip-\\xff\.mp4'):
        write_mp4(smooth_frames(2), str(path), FPS)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert len(probe(path)['frames']) == 2
