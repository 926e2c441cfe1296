"""Real unlabelled video as a training source: every layout, the cached
index, and unreadable frames named by path (generated frames only)."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fgvc.datasets import real_video
from fgvc.datasets.real_video import RealVideoPairs, detect_layout

FRAMES = 5
HEIGHT, WIDTH = 24, 32


def frame(video: int, t: int) -> np.ndarray:
    """A frame whose colour encodes (video, t), so pairs can be checked."""
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    image[..., 0] = 40 * video
    image[..., 1] = 40 * t
    return image


def write_frames(folder: Path, video: int, count: int = FRAMES) -> None:
    folder.mkdir(parents=True)
    for t in range(count):
        cv2.imwrite(str(folder / f'{t:05d}.png'), frame(video, t)[..., ::-1])


def decode(imgs: np.ndarray) -> list:
    """(video, t) of each frame of a pair."""
    return [(int(round(f[..., 0].mean() / 40)), int(round(f[..., 1].mean() / 40))) for f in imgs]


def dataset(root: Path, **kwargs) -> RealVideoPairs:
    # serialize_data=False keeps data_list readable for the checks
    return RealVideoPairs(
        data_root=str(root), pipeline=[], frame_steps=(1, 2), serialize_data=False, **kwargs
    )


def check_pairs(ds: RealVideoPairs, videos: set) -> None:
    np.random.seed(0)
    seen = set()
    for i in range(len(ds)):
        for _ in range(4):
            (v0, t0), (v1, t1) = decode(ds[i]['imgs'])
            assert v0 == v1 and 1 <= t1 - t0 <= 2
            seen.add(v0)
    assert seen == videos


def test_youtube_vos_layout_with_and_without_meta(tmp_path):
    for v in range(3):
        write_frames(tmp_path / 'JPEGImages' / f'vid{v}', v)
    assert detect_layout(str(tmp_path)) == 'youtube_vos'
    check_pairs(dataset(tmp_path), {0, 1, 2})
    names = [f'{t:05d}.png' for t in range(FRAMES)]
    (tmp_path / 'meta.json').write_text(json.dumps({'vid0': names, 'vid2': names}))
    check_pairs(dataset(tmp_path), {0, 2})
    (tmp_path / 'meta.json').write_text(json.dumps({'videos': {'vid1': {}}}))
    check_pairs(dataset(tmp_path), {1})


def test_davis_layout_uses_only_the_listed_split(tmp_path):
    for v, name in enumerate(['bear', 'camel', 'dog']):
        write_frames(tmp_path / 'JPEGImages' / '240p' / name, v)
    sets = tmp_path / 'ImageSets' / '240p'
    sets.mkdir(parents=True)
    lines = [
        f'/JPEGImages/240p/{n}/{t:05d}.jpg /Annotations/240p/{n}/{t:05d}.png'
        for n in ('bear', 'dog')
        for t in range(FRAMES)
    ]
    (sets / 'train.txt').write_text('\n'.join(lines) + '\n')
    (sets / 'dev.txt').write_text(
        '/JPEGImages/240p/camel/00000.jpg /Annotations/240p/camel/00000.png\n'
    )
    assert detect_layout(str(tmp_path)) == 'davis'
    check_pairs(dataset(tmp_path), {0, 2})  # split='train' by default
    check_pairs(dataset(tmp_path, split='dev'), {1})
    check_pairs(dataset(tmp_path, split=None), {0, 1, 2})
    (sets / 'train.txt').write_text(
        '/JPEGImages/240p/cat/00000.jpg /Annotations/240p/cat/00000.png\n'
    )
    with pytest.raises(FileNotFoundError, match=r"train\.txt lists sequences missing .*\['cat'\]"):
        dataset(tmp_path)


def test_davis_lists_are_read_as_the_davis_dataset_reads_them(tmp_path):
    """The DAVIS-2017 list before the DAVIS-2016 one, names checked, and one
    resolution folder found or asked for (fgvc.datasets.davis)."""
    for v, name in enumerate(['bear', 'camel', 'dog']):
        write_frames(tmp_path / 'JPEGImages' / '240p' / name, v)
    (tmp_path / 'ImageSets' / '240p').mkdir(parents=True)
    (tmp_path / 'ImageSets' / '240p' / 'train.txt').write_text(
        '/JPEGImages/240p/bear/00000.jpg /Annotations/240p/bear/00000.png\n'
    )
    (tmp_path / 'ImageSets' / '2017').mkdir(parents=True)
    (tmp_path / 'ImageSets' / '2017' / 'train.txt').write_text('camel\ndog\n')
    check_pairs(dataset(tmp_path), {1, 2})  # the 2017 list
    (tmp_path / 'ImageSets' / '2017' / 'train.txt').write_text('camel\n../dog\n')
    with pytest.raises(ValueError, match=r"Unsafe DAVIS sequence name '\.\./dog' in .*train\.txt"):
        dataset(tmp_path)
    (tmp_path / 'ImageSets' / '2017' / 'train.txt').write_text('\n')
    with pytest.raises(ValueError, match=r'2017/train\.txt names no sequence'):
        dataset(tmp_path)
    (tmp_path / 'JPEGImages' / '480p').mkdir()
    with pytest.raises(ValueError, match=r"found \['240p', '480p'\]; name one with resolution"):
        dataset(tmp_path, split='dev')
    check_pairs(dataset(tmp_path, split='dev', resolution='240p'), {0, 1, 2})  # no dev list


def test_plain_frame_folders_and_video_files(tmp_path):
    for v in range(2):
        write_frames(tmp_path / 'folders' / f'clip{v}', v)
    assert detect_layout(str(tmp_path / 'folders')) == 'frame_folders'
    check_pairs(dataset(tmp_path / 'folders'), {0, 1})

    videos = tmp_path / 'videos'
    videos.mkdir()
    for v in range(2):
        writer = cv2.VideoWriter(
            str(videos / f'clip{v}.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 10, (WIDTH, HEIGHT)
        )
        for t in range(FRAMES):
            writer.write(frame(v, t)[..., ::-1])
        writer.release()
    assert detect_layout(str(videos)) == 'video_files'
    ds = dataset(videos)
    assert [d['num_frames'] for d in ds.data_list] == [FRAMES, FRAMES]
    check_pairs(ds, {0, 1})
    assert ds[0]['sources'][0].startswith(str(videos / 'clip0.avi') + '#')


def test_index_is_built_once_and_cached(tmp_path, monkeypatch):
    write_frames(tmp_path / 'data' / 'clip', 0)
    index = tmp_path / 'work' / 'frame_index.json'
    first = dataset(tmp_path / 'data', index_file=str(index))
    assert len(first.data_list) == 1
    assert json.loads(index.read_text())['videos'] == first.data_list

    def no_scan(*args):
        raise AssertionError('the index was rebuilt instead of read from the cache')

    monkeypatch.setattr(real_video, 'build_index', no_scan)
    assert dataset(tmp_path / 'data', index_file=str(index)).data_list == first.data_list
    with pytest.raises(AssertionError, match='rebuilt'):  # another split: not the cached one
        dataset(tmp_path / 'data', index_file=str(index), split='dev')


def test_unreadable_frames_and_bad_roots_are_named(tmp_path):
    write_frames(tmp_path / 'clip', 0, count=2)
    (tmp_path / 'clip' / '00001.png').write_bytes(b'not an image')
    ds = dataset(tmp_path)
    with pytest.raises(ValueError, match=r'clip/00001\.png'):
        ds[0]
    with pytest.raises(FileNotFoundError, match='Real video folder not found'):
        dataset(tmp_path / 'nowhere')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no real video in a known layout'):
        dataset(tmp_path / 'empty')
    write_frames(tmp_path / 'short' / 'one', 0, count=1)
    with pytest.raises(ValueError, match=r'short/one has 1 frame\(s\)'):
        dataset(tmp_path / 'short')
