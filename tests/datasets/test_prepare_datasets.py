"""tools/data/prepare.py and fgvc.datasets.prepare: each dataset's download
checked, its index files built and read back by the loader, a broken layout
refused with the missing piece named; DAVIS and YouTube-VOS downscaled."""

import json
import os
import pickle
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fgvc.datasets import (
    BadjaDataset,
    DavisVOSDataset,
    FlyingThingsPairs,
    JhmdbDataset,
    TapVidDataset,
)
from fgvc.datasets.prepare import PREPARERS, SOURCES, LayoutError
from fgvc.datasets.prepare.cli import main
from fgvc.datasets.prepare.flyingthings import flow_path
from fgvc.datasets.prepare.resize import JPEG_QUALITY
from fgvc.datasets.synthetic import generate_datasets, generate_tapvid_videos, get_preset
from fgvc.fileio import encode_jpeg, read_index_png, read_rgb

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def generated(tmp_path_factory) -> Path:
    """Every synthetic layout of the tiny preset, written once."""
    root = tmp_path_factory.mktemp('synthetic')
    generate_datasets(str(root), get_preset('tiny'))
    return root


def copy_of(tree: Path, tmp_path: Path, name: str = None) -> Path:
    """A copy of ``tree`` to break."""
    dst = tmp_path / (name or tree.name)
    shutil.copytree(tree, dst)
    return dst


def prepare(dataset: str, source, out, **options):
    return PREPARERS[dataset](str(source), str(out), **options)


def layout_error(dataset: str, source, out, **options) -> LayoutError:
    with pytest.raises(LayoutError) as info:
        prepare(dataset, source, out, **options)
    assert info.value.note.startswith(SOURCES[dataset].title)
    return info.value


# ------------------------------------------------------------------ DAVIS
def test_davis_links_frames_and_masks_and_the_loader_reads_them(generated, tmp_path):
    source, out = generated / 'DAVIS', tmp_path / 'DAVIS'
    prepare('davis', source, out)
    assert (out / 'JPEGImages' / '480p').is_symlink()
    assert (out / 'ImageSets/2017/val.txt').read_text() == (
        source / 'ImageSets/2017/val.txt'
    ).read_text()
    prepared = DavisVOSDataset(str(out), [])
    original = DavisVOSDataset(str(source), [])
    assert len(prepared) == len(original) == 2
    np.testing.assert_array_equal(prepared[1]['gt_masks'], original[1]['gt_masks'])


def test_davis_list_is_written_where_the_download_has_none(generated, tmp_path):
    source = copy_of(generated / 'DAVIS', tmp_path)
    shutil.rmtree(source / 'ImageSets')
    done = prepare('davis', source, source)  # in place: nothing to link
    assert (source / 'ImageSets/2017/val.txt').read_text() == 'synth-000\nsynth-001\n'
    assert any('no list came with the download' in line for line in done)
    assert len(DavisVOSDataset(str(source), [])) == 2


def test_davis_missing_masks_are_named(generated, tmp_path):
    source = copy_of(generated / 'DAVIS', tmp_path)
    shutil.rmtree(source / 'Annotations/480p/synth-001')
    os.remove(source / 'Annotations/480p/synth-000/00003.png')
    error = layout_error('davis', source, tmp_path / 'out')
    message = str(error)
    assert f'{source}/Annotations/480p/synth-001 (masks of sequence synth-001' in message
    assert "frames without a mask: ['00003']" in message
    assert not (tmp_path / 'out').exists()  # nothing prepared from a broken download


def test_davis_2016_downscaled_to_the_240p_layout(data_dir, tmp_path):
    source, out = data_dir / 'DAVIS2016', tmp_path / 'DAVIS2016-240p'
    prepare('davis', source, out, short_side=240)
    lines = (out / 'ImageSets/240p/val.txt').read_text().splitlines()
    assert (
        lines[0]
        == '/JPEGImages/240p/horsejump-low/00000.jpg /Annotations/240p/horsejump-low/00000.png'
    )
    assert len(lines) == 3
    frame = read_rgb(str(out / 'JPEGImages/240p/horsejump-low/00001.jpg'))
    assert frame.shape == (240, 427, 3)  # 854x480 -> short side 240
    expected = cv2.resize(
        read_rgb(str(source / 'JPEGImages/480p/horsejump-low/00001.jpg')), (427, 240),
        interpolation=cv2.INTER_AREA,
    )  # fmt: skip
    decoded = cv2.imdecode(np.frombuffer(encode_jpeg(expected, JPEG_QUALITY), np.uint8), 1)
    np.testing.assert_array_equal(frame, decoded[..., ::-1])  # the same bytes, decoded
    mask_path = out / 'Annotations/240p/horsejump-low/00001.png'
    with Image.open(mask_path) as image:
        assert image.mode == 'L'  # grey stays grey
    # a binary mask halved: each pixel the majority of its 2x2 block, ties foreground
    source_mask = read_index_png(str(source / 'Annotations/480p/horsejump-low/00001.png'))
    votes = (source_mask == 255).reshape(240, 2, 427, 2).sum((1, 3))
    np.testing.assert_array_equal(read_index_png(str(mask_path)), np.where(votes >= 2, 255, 0))
    dataset = DavisVOSDataset(str(out), [], resolution='240p')
    assert dataset[0]['gt_masks'].shape == (3, 240, 427)


def test_davis_palette_masks_keep_their_object_ids_when_downscaled(generated, tmp_path):
    out = tmp_path / 'small'
    prepare('davis', generated / 'DAVIS', out, short_side=40)
    path = out / 'Annotations/40p/synth-000/00000.png'
    with Image.open(path) as image:
        assert image.mode == 'P'
    small = read_index_png(str(path))
    big = read_index_png(str(generated / 'DAVIS/Annotations/480p/synth-000/00000.png'))
    assert small.shape == (40, 40)
    np.testing.assert_array_equal(small, cv2.resize(big, (40, 40), interpolation=cv2.INTER_NEAREST))
    assert set(np.unique(small)) <= set(np.unique(big))  # no blended ids
    assert (out / 'ImageSets/2017/val.txt').is_file()
    assert len(DavisVOSDataset(str(out), [], resolution='40p')) == 2


# ---------------------------------------------------------------- TAP-Vid
def test_tapvid_pickles_become_npz_that_read_as_the_pickles(generated, tmp_path):
    source = copy_of(generated / 'TAP-Vid', tmp_path)
    entries = generate_tapvid_videos(get_preset('tiny').video_scene, 5, 2)
    (source / 'tapvid_rgb_stacking').mkdir()
    with open(source / 'tapvid_rgb_stacking/tapvid_rgb_stacking.pkl', 'wb') as f:
        pickle.dump(list(entries.values()), f)  # a list of videos without names
    out = tmp_path / 'npz'
    prepare('tapvid', source, out)
    assert sorted(p.name for p in (out / 'tapvid_rgb_stacking_npz').iterdir()) == [
        'tapvid_rgb_stacking_0000.npz',
        'tapvid_rgb_stacking_0001.npz',
    ]
    for subset, pickled in (
        ('tapvid_davis', source / 'tapvid_davis/tapvid_davis.pkl'),
        ('tapvid_kinetics', source / 'tapvid_kinetics'),
        ('tapvid_rgb_stacking', source / 'tapvid_rgb_stacking'),
    ):
        from_npz = TapVidDataset(str(out / f'{subset}_npz'), [])
        from_pickle = TapVidDataset(str(pickled), [])
        assert len(from_npz) == len(from_pickle) > 0
        by_name = {from_pickle[i]['video_name']: i for i in range(len(from_pickle))}
        for i in range(len(from_npz)):
            item = from_npz[i]
            twin = from_pickle[by_name[item['video_name']]]
            np.testing.assert_array_equal(item['video'], twin['video'])
            np.testing.assert_array_equal(item['points'], twin['points'])
            np.testing.assert_array_equal(item['occluded'], twin['occluded'])


def test_tapvid_without_pickles_names_each_subset_and_how_to_make_kinetics(tmp_path):
    source = tmp_path / 'TAP-Vid'
    (source / 'tapvid_kinetics').mkdir(parents=True)
    (source / 'tapvid_kinetics/tapvid_kinetics.csv').write_text('youtube_id,...\n')
    message = str(layout_error('tapvid', source, tmp_path / 'out'))
    assert f'{source}/tapvid_davis/tapvid_davis.pkl (tapvid_davis pickles)' in message
    assert f'{source}/tapvid_rgb_stacking/tapvid_rgb_stacking.pkl' in message
    assert 'generate_tapvid.py' in message


# ------------------------------------------------------------------ JHMDB
def write_split(root: Path, cls: str, lines: list) -> None:
    (root / 'splits').mkdir(exist_ok=True)
    (root / 'splits' / f'{cls}_test_split1.txt').write_text(''.join(f'{x}\n' for x in lines))


def test_jhmdb_list_holds_the_test_videos_of_split_1(generated, tmp_path):
    source = copy_of(generated / 'JHMDB', tmp_path)
    write_split(source, 'catch', ['synth_catch_000.avi 1'])
    write_split(source, 'clap', ['synth_clap_001.avi 2'])
    out = tmp_path / 'prepared' / 'JHMDB'
    prepare('jhmdb', source, out)
    assert (out / 'val_list.txt').read_text() == (
        'JHMDB/joint_positions/clap/synth_clap_001/joint_positions.mat '
        'JHMDB/Rename_Images/clap/synth_clap_001\n'
    )
    item = JhmdbDataset(str(out), [])[0]
    assert item['video_name'] == 'clap/synth_clap_001' and item['keypoints'].shape[0] == 15


def test_jhmdb_real_sample_gives_the_shipped_list(data_dir, tmp_path):
    out = tmp_path / 'JHMDB'
    done = prepare('jhmdb', data_dir / 'JHMDB', out)
    assert (out / 'val_list.txt').read_text() == (data_dir / 'JHMDB/val_list.txt').read_text()
    assert any('no splits' in line for line in done)  # the sample has no split files: said


def test_jhmdb_missing_frame_is_named(generated, tmp_path):
    source = copy_of(generated / 'JHMDB', tmp_path)
    os.remove(source / 'Rename_Images/clap/synth_clap_001/00004.png')
    message = str(layout_error('jhmdb', source, tmp_path / 'out'))
    assert (
        f'{source}/Rename_Images/clap/synth_clap_001/00004.png (frame 4 of clap/synth_clap_001'
        in message
    )


# ------------------------------------------------------------------ BADJA
def test_badja_keeps_davis_sequences_and_links_davis(generated, tmp_path):
    source = copy_of(generated / 'BADJA', tmp_path)
    shutil.copytree(generated / 'DAVIS2016', tmp_path / 'DAVIS2016')
    extra = [dict(r, image_path='extra_videos/x.jpg', segmentation_path='extra_videos/x.png')
             for r in json.loads((source / 'joint_annotations/synth-animal-000.json').read_text())]  # fmt: skip
    (source / 'joint_annotations/impala0.json').write_text(json.dumps(extra))
    out = tmp_path / 'prepared'
    done = prepare('badja', source, out, davis_root='../DAVIS2016')
    assert 'left out (not on DAVIS frames): impala0' in done
    assert sorted(p.name for p in (out / 'joint_annotations').iterdir()) == [
        'synth-animal-000.json'
    ]
    prepared = BadjaDataset(str(out), [], davis_root='DAVIS', resolutions=('480p',))[0]
    original = BadjaDataset(str(generated / 'BADJA'), [], davis_root='../DAVIS2016')[0]
    np.testing.assert_array_equal(prepared['keypoints'], original['keypoints'])


def test_badja_real_sample_and_a_missing_mask(data_dir, tmp_path):
    out = tmp_path / 'prepared'
    prepare('badja', data_dir / 'BADJA', out, davis_root='../DAVIS2016')
    assert len(BadjaDataset(str(out), [], davis_root='DAVIS')) == 1
    source = copy_of(data_dir / 'BADJA', tmp_path / 'broken')
    davis = copy_of(data_dir / 'DAVIS2016', tmp_path / 'broken')
    os.remove(davis / 'Annotations/480p/horsejump-low/00002.png')
    message = str(layout_error('badja', source, tmp_path / 'out2', davis_root='../DAVIS2016'))
    assert f'{davis}/Annotations/480p/horsejump-low/00002.png (annotated in' in message


# ------------------------------------------------------------ YouTube-VOS
def test_youtube_vos_list_is_the_one_the_loader_expects(generated, tmp_path):
    source = copy_of(generated / 'YouTube-VOS', tmp_path)
    expected = json.loads((source / 'train/youtube2018_train.json').read_text())
    os.remove(source / 'train/youtube2018_train.json')
    out = tmp_path / 'prepared'
    prepare('youtube-vos', source, out)
    assert json.loads((out / 'train/youtube2018_train.json').read_text()) == expected
    assert (out / 'train/JPEGImages').is_symlink()


def test_youtube_vos_downscaled_frames_keep_their_names(generated, tmp_path):
    out = tmp_path / 'small'
    prepare('youtube-vos', generated / 'YouTube-VOS', out, short_side=32)
    listed = json.loads((out / 'train/youtube2018_train.json').read_text())
    name, frames = sorted(listed.items())[0]
    assert frames[:2] == ['00000.jpg', '00005.jpg']
    assert read_rgb(str(out / 'train/JPEGImages' / name / frames[1])).shape == (32, 32, 3)


def test_youtube_vos_videos_named_in_meta_but_missing_are_named(generated, tmp_path):
    source = copy_of(generated / 'YouTube-VOS', tmp_path)
    meta = {'videos': {'synth00000': {}, 'synth00001': {}, '0a1b2c3d4e': {}}}
    (source / 'train/meta.json').write_text(json.dumps(meta))
    message = str(layout_error('youtube-vos', source, tmp_path / 'out'))
    assert (
        f'{source}/train/JPEGImages/0a1b2c3d4e (frames of video 0a1b2c3d4e, named in meta.json)'
        in message
    )


# --------------------------------------------------------- FlyingThings3D
def test_flyingthings_links_and_every_pair_is_found(generated, tmp_path):
    out = tmp_path / 'prepared'
    done = prepare('flyingthings', generated / 'FlyingThings3D', out)
    pairs = len(FlyingThingsPairs(str(out), []))
    assert pairs == len(FlyingThingsPairs(str(generated / 'FlyingThings3D'), [])) > 0
    assert f'{pairs} training pairs' in done[-2]


def test_flyingthings_missing_flow_is_named_where_the_release_keeps_it(generated, tmp_path):
    source = copy_of(generated / 'FlyingThings3D', tmp_path)
    missing = flow_path(str(source), 'TRAIN', 'A/0001', 'into_past', 'left', 8)
    assert missing.endswith(
        'optical_flow/TRAIN/A/0001/into_past/left/OpticalFlowIntoPast_0008_L.pfm'
    )
    os.remove(missing)
    message = str(layout_error('flyingthings', source, tmp_path / 'out'))
    assert f'{missing} (into_past flow of frame 8)' in message


# -------------------------------------------------------------- the tool
def test_tool_prints_the_missing_path_source_and_licence(tmp_path):
    with pytest.raises(SystemExit) as info:
        main(['jhmdb', str(tmp_path / 'nothing'), '--out', str(tmp_path / 'out')])
    message = str(info.value.code)
    assert f'{tmp_path}/nothing/Rename_Images (frames)' in message
    assert 'http://jhmdb.is.tue.mpg.de/' in message and 'licence: research use only' in message
    with pytest.raises(SystemExit, match='--short-side downscales davis and youtube-vos only'):
        main(['jhmdb', str(tmp_path), '--out', str(tmp_path / 'o'), '--short-side', '240'])


def test_tool_help_lists_every_dataset_with_source_and_licence(capsys):
    with pytest.raises(SystemExit):
        main(['--help'])
    text = capsys.readouterr().out
    for name, info in SOURCES.items():
        assert f'{name}: {info.source}; licence: {info.licence}' in text
