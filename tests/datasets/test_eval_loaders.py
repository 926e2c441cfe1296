"""Loaders of the JHMDB, BADJA and DAVIS layouts: real samples, generated data, errors."""

import json
import os
import shutil

import numpy as np
import pytest
import scipy.io
from PIL import Image

from fgvc.datasets import BadjaDataset, DavisVOSDataset, JhmdbDataset
from fgvc.datasets.synthetic import generate_datasets, get_preset
from fgvc.datasets.synthetic.writers.badja import USED_JOINTS, to_full_resolution
from fgvc.utils import register_all_modules

register_all_modules()
KEYPOINT_PIPELINE = [
    dict(type='SampleKeypointQueries'),
    dict(
        type='PackTrackInputs',
        data_keys=('query_points', 'target_points', 'occluded', 'joint_ids', 'mask_areas'),
    ),
]
VOS_PIPELINE = [dict(type='PackTrackInputs', data_keys=('first_mask', 'num_objects', 'gt_masks'))]


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp('generated')
    generate_datasets(str(out), get_preset('tiny'), seed=0, formats=['davis', 'jhmdb', 'badja'])
    return out


def badja(root, **kwargs):
    return BadjaDataset(
        str(root), KEYPOINT_PIPELINE, davis_root='../DAVIS2016', joints=USED_JOINTS, **kwargs
    )


# ------------------------------------------------------------------ JHMDB
def test_jhmdb_sample(data_dir):
    root = data_dir / 'JHMDB'
    data = JhmdbDataset(str(root), KEYPOINT_PIPELINE)
    assert len(data) == 1
    item = data[0]
    sample = item['data_samples']
    assert tuple(item['inputs'].shape) == (5, 240, 320, 3)
    line = (root / 'val_list.txt').read_text().split()
    pos = scipy.io.loadmat(str(root.parent / line[0]))['pos_img']  # [2, 15, T], 1-based
    np.testing.assert_allclose(sample.target_points, np.transpose(pos, (1, 2, 0)) - 0.5, atol=1e-4)
    assert sample.query_points.shape == (15, 3) and not sample.occluded.any()
    np.testing.assert_allclose(sample.query_points[:, 0], 0)
    np.testing.assert_allclose(sample.query_points[:, [2, 1]], pos[:, :, 0].T - 0.5, atol=1e-4)


def test_jhmdb_generated(generated):
    data = JhmdbDataset(str(generated / 'JHMDB'), KEYPOINT_PIPELINE)
    assert len(data) == 2
    sample = data[1]['data_samples']
    mat = generated / 'JHMDB' / 'joint_positions' / sample.video_name / 'joint_positions.mat'
    pos = scipy.io.loadmat(str(mat))['pos_img']
    np.testing.assert_allclose(sample.target_points, np.transpose(pos, (1, 2, 0)) - 0.5, atol=1e-4)


def test_jhmdb_missing_frames_are_named(generated, tmp_path):
    root = tmp_path / 'JHMDB'
    shutil.copytree(generated / 'JHMDB', root)
    data = JhmdbDataset(str(root), KEYPOINT_PIPELINE)
    frames = root / 'Rename_Images' / data.get_data_info(0)['video_name']
    (frames / '00004.png').unlink()
    (frames / '00007.png').unlink()
    with pytest.raises(FileNotFoundError, match=r"joint_positions\.mat.*00004\.png', '00007\.png"):
        data[0]


# ------------------------------------------------------------------ BADJA
def test_badja_sample(data_dir):
    data = badja(data_dir / 'BADJA')
    item = data[0]
    sample = item['data_samples']
    assert tuple(item['inputs'].shape) == (3, 480, 854, 3)
    records = json.loads((data_dir / 'BADJA/joint_annotations/horsejump-low.json').read_text())
    joint_ids = np.asarray(sample.joint_ids)
    for record in records:
        t = int(os.path.basename(record['image_path']).split('.')[0])
        yx = np.asarray(record['joints'], float)[list(USED_JOINTS)][joint_ids]
        visible = np.asarray(record['visibility'])[list(USED_JOINTS)][joint_ids]
        expected = np.stack([(yx[:, 1] + 0.5) * 854 / 1920, (yx[:, 0] + 0.5) * 480 / 1080], 1)
        np.testing.assert_allclose(sample.target_points[visible, t], expected[visible], atol=1e-3)
        np.testing.assert_array_equal(sample.occluded[:, t], ~visible)
        masks = data_dir / 'DAVIS2016/Annotations/480p/horsejump-low'
        mask = np.array(Image.open(masks / f'{t:05d}.png'))
        assert sample.mask_areas[t] == np.count_nonzero(mask) > 0
    unannotated = np.ones(3, bool)
    unannotated[[int(os.path.basename(r['image_path'])[:5]) for r in records]] = False
    assert sample.occluded[:, unannotated].all() and (sample.mask_areas[unannotated] == 0).all()


def test_badja_generated_joints_invert_the_writer(generated):
    sample = badja(generated / 'BADJA')[0]['data_samples']
    height, width = sample.raster_hw
    records = json.loads(next((generated / 'BADJA/joint_annotations').glob('*.json')).read_text())
    for record in records:
        t = int(record['image_path'][-9:-4])
        visible = ~sample.occluded[:, t]
        full = to_full_resolution(sample.target_points[:, t], height, width)
        expected = np.asarray(record['joints'])[list(USED_JOINTS)][sample.joint_ids]
        np.testing.assert_allclose(full[visible], expected[visible], atol=1e-3)


def test_badja_missing_frame_is_named(generated, tmp_path):
    shutil.copytree(generated / 'BADJA', tmp_path / 'BADJA')
    shutil.copytree(generated / 'DAVIS2016', tmp_path / 'DAVIS2016')
    seq = next((tmp_path / 'DAVIS2016/JPEGImages/480p').iterdir())
    (seq / '00005.jpg').unlink()
    with pytest.raises(
        FileNotFoundError, match=r'joint_annotations.*Full-Resolution/.*/00005\.jpg'
    ):
        badja(tmp_path / 'BADJA')[0]


# ------------------------------------------------------------------ DAVIS
def test_davis2016_sample(data_dir):
    data = DavisVOSDataset(str(data_dir / 'DAVIS2016'), VOS_PIPELINE)
    assert [data.get_data_info(i)['video_name'] for i in range(len(data))] == ['horsejump-low']
    item = data[0]
    sample = item['data_samples']
    assert tuple(item['inputs'].shape) == (3, 480, 854, 3)
    assert sample.gt_masks.shape == (3, 480, 854) and set(np.unique(sample.gt_masks)) == {0, 1}
    raw = np.array(Image.open(data_dir / 'DAVIS2016/Annotations/480p/horsejump-low/00002.png'))
    assert set(np.unique(raw)) == {0, 255}
    np.testing.assert_array_equal(sample.gt_masks[2], raw == 255)
    assert sample.num_objects == 1


def test_davis2017_generated(generated):
    data = DavisVOSDataset(str(generated / 'DAVIS'), VOS_PIPELINE)
    assert data.get_data_info(0)['layout'] == '2017' and len(data) == 2
    sample = data[0]['data_samples']
    raw = np.array(Image.open(generated / 'DAVIS/Annotations/480p/synth-000/00003.png'))
    np.testing.assert_array_equal(sample.gt_masks[3], raw)
    assert 255 in raw  # void band kept as void
    first = sample.first_mask
    assert sample.num_objects == int(np.where(first == 255, 0, first).max()) >= 1


def test_davis_mask_count_mismatch_is_named(generated, tmp_path):
    shutil.copytree(generated / 'DAVIS', tmp_path / 'DAVIS')
    (tmp_path / 'DAVIS/Annotations/480p/synth-001/00006.png').unlink()
    with pytest.raises(ValueError, match=r"'synth-001': 10 frames .* 9 masks .*'00006'"):
        DavisVOSDataset(str(tmp_path / 'DAVIS'), VOS_PIPELINE)


def test_davis_without_list_names_both_layouts(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'2017/val\.txt.*480p/val\.txt'):
        DavisVOSDataset(str(tmp_path), VOS_PIPELINE)


def test_davis2016_generated(generated):
    data = DavisVOSDataset(str(generated / 'DAVIS2016'), VOS_PIPELINE)
    assert data.get_data_info(0)['layout'] == '2016'
    sample = data[0]['data_samples']
    raw = np.array(Image.open(generated / 'DAVIS2016/Annotations/480p/synth-animal-000/00002.png'))
    assert set(np.unique(raw)) <= {0, 255}
    np.testing.assert_array_equal(sample.gt_masks[2], raw == 255)
    assert sample.num_objects == 1
