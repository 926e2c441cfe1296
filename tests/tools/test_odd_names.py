"""File and folder names whose bytes are not UTF-8 are handled, never a
crash (OpenCV segfaulted on them): the demo on one video, a batch folder
holding one, the stream tool and the mp4 writer (issue 27). The tools run in
their own processes, so that a crash shows as a failed run."""

import csv
import os
from pathlib import Path

import numpy as np
from tool_runs import RAW_CONFIG, moving_frames, non_utf8, run_tool, write_avi

from fgvc.fileio import read_rgb, shown, write_rgb
from fgvc.fileio.video_reader import open_video
from fgvc.outputs.files import MANIFEST
from fgvc.visualization import write_images, write_mp4

FRAMES = 4


def leftovers(folder: str) -> list:
    return [n for n in os.listdir(folder) if n.startswith('.')]


def test_the_mp4_writer_images_and_readers_take_any_name(tmp_path):
    folder = non_utf8(tmp_path, b'folder\xff')
    os.mkdir(folder)
    frames = moving_frames(0, FRAMES)
    video = os.path.join(folder, os.fsdecode(b'clip\xfe.mp4'))
    write_mp4(frames, video, fps=10)
    assert os.listdir(os.fsencode(folder)) == [b'clip\xfe.mp4']  # written under its own name
    plain = str(tmp_path / 'plain.mp4')  # the same frames under a plain name
    write_mp4(frames, plain, fps=10)
    reader = open_video(video)
    assert (len(reader), reader.height, reader.width) == frames.shape[:3]
    np.testing.assert_array_equal(reader.read(0, FRAMES), open_video(plain).read(0, FRAMES))
    images = os.path.join(folder, os.fsdecode(b'frames\xfd'))
    write_images(frames, images, '{:05d}.png')
    np.testing.assert_array_equal(open_video(images).read(0, FRAMES), frames)
    write_rgb(os.path.join(folder, os.fsdecode(b'one\xfc.png')), frames[0])
    np.testing.assert_array_equal(read_rgb(os.path.join(folder, 'one\udcfc.png')), frames[0])
    assert shown(video).endswith('folder\\xff/clip\\xfe.mp4')


def test_the_demo_on_a_video_with_such_a_name(tmp_path):
    folder = non_utf8(tmp_path, b'in\xff')
    os.mkdir(folder)
    video = write_avi(os.path.join(folder, os.fsdecode(b'v\xfe.avi')), moving_frames(1, FRAMES))
    out = non_utf8(tmp_path, b'out\xfb')
    result = run_tool(
        'tools/demo.py', video, '--out', out, '--config', RAW_CONFIG, '--queries', 'grid:2'
    )
    assert result.returncode == 0, result.stderr.decode('utf-8', 'replace')[-3000:]
    assert b'in\\xff/v\\xfe.avi: 4 frames' in result.stdout  # the name as the OS gives it
    assert sorted(os.listdir(out)) == sorted([MANIFEST, 'tracks.csv', 'tracks.mp4', 'tracks.npz'])
    assert len(open_video(os.path.join(out, 'tracks.mp4'))) == FRAMES
    assert leftovers(str(tmp_path)) == []  # no lock, no partial folder


def test_a_batch_folder_holding_such_a_name_goes_on_and_reports_it(tmp_path):
    videos = tmp_path / 'videos'
    videos.mkdir()
    odd = write_avi(non_utf8(videos, b'a\xff.avi'), moving_frames(2, FRAMES))
    (videos / 'b.mp4').write_bytes(b'no video')
    write_avi(str(videos / 'c.avi'), moving_frames(3, FRAMES))
    out = tmp_path / 'out'
    result = run_tool(
        'tools/demo.py', videos, '--out', out, '--config', RAW_CONFIG, '--queries', 'grid:2'
    )
    assert result.returncode == 1, result.stderr.decode('utf-8', 'replace')[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith(b'error:')]
    assert len(errors) == 1 and b'b.mp4' in errors[0]
    with open(out / 'summary.csv', newline='', encoding='utf-8', errors='surrogateescape') as f:
        rows = list(csv.DictReader(f))
    assert [r['video'] for r in rows] == [odd, str(videos / 'b.mp4'), str(videos / 'c.avi')]
    assert [r['status'][:6] for r in rows] == ['ok', 'failed', 'ok']
    assert os.fsencode(odd) in (out / 'summary.csv').read_bytes()  # the bytes as they are
    assert (Path(os.fsdecode(os.path.join(os.fsencode(str(out)), b'a\xff'))) / MANIFEST).is_file()
    assert (out / 'c' / 'tracks.npz').is_file()


def test_the_stream_tool_on_such_a_name(tmp_path):
    source = write_avi(non_utf8(tmp_path, b's\xff.avi'), moving_frames(4, FRAMES))
    out = non_utf8(tmp_path, b'o\xfe')
    result = run_tool(
        'tools/track_stream.py', source, '--out', out, '--config', RAW_CONFIG,
        '--queries', 'grid:2', '--video', '--device', 'cpu',
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode('utf-8', 'replace')[-3000:]
    rows = np.loadtxt(os.path.join(out, 'tracks.csv'), delimiter=',', skiprows=1)
    assert rows.shape == (FRAMES * 4, 5)
    assert len(open_video(os.path.join(out, 'tracks.mp4'))) == FRAMES
