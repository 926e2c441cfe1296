"""The dataset switches of the `release` protocol on the JHMDB and BADJA
samples: pixel-index coordinates, BADJA's resized clip of the annotated
frames (masks counted after resizing), its extra videos, and every joint
queried at the clip's first frame."""

import json
import shutil

import cv2
import numpy as np
import pytest

from fgvc.datasets import BadjaDataset, JhmdbDataset
from fgvc.datasets.transforms import SampleKeypointQueries
from fgvc.fileio import read_index_png

BADJA_JOINTS = (8, 9, 10, 12, 13, 14, 15, 18, 19, 20, 22, 23, 24, 25, 28, 31, 32, 33, 35, 36)
FULL_RESOLUTION = (1920, 1080)


def test_jhmdb_pixel_index_coordinates_are_matlab_minus_one(data_dir):
    def joints(**options):
        data = JhmdbDataset(str(data_dir / 'JHMDB'), pipeline=[], **options)
        return data.get_data_info(0)['keypoints']

    centre, index = joints(), joints(coordinates='pixel_index')
    np.testing.assert_array_equal(index, centre - 0.5)
    with pytest.raises(ValueError, match='coordinates must be one of'):
        joints(coordinates='matlab')


@pytest.fixture
def badja(data_dir, tmp_path):
    """The BADJA sample (annotated frames 0 and 2 of three) beside its DAVIS frames."""
    root = tmp_path / 'BADJA'
    shutil.copytree(data_dir / 'BADJA', root)
    shutil.copytree(data_dir / 'DAVIS2016', tmp_path / 'DAVIS2016')
    return root


def badja_item(root, **options):
    data = BadjaDataset(
        str(root), pipeline=[], davis_root='../DAVIS2016', joints=BADJA_JOINTS, **options
    )
    return data.get_data_info(0)


def annotation(root):
    return json.loads((root / 'joint_annotations/horsejump-low.json').read_text())


def test_badja_pixel_index_coordinates_scale_indices(badja):
    centre = badja_item(badja)
    index = badja_item(badja, coordinates='pixel_index')
    height, width = index['video'].shape[1:3]
    scale = np.array([width / FULL_RESOLUTION[0], height / FULL_RESOLUTION[1]])
    record = annotation(badja)[0]
    yx = np.asarray(record['joints'], float)[list(BADJA_JOINTS)]
    visible = np.asarray(record['visibility'], bool)[list(BADJA_JOINTS)]
    expected = yx[:, ::-1] * scale
    np.testing.assert_allclose(index['keypoints'][visible, 0], expected[visible], rtol=1e-6)
    np.testing.assert_allclose(
        centre['keypoints'][visible, 0] - index['keypoints'][visible, 0],
        np.broadcast_to(0.5 * scale, expected[visible].shape),
        atol=1e-4,  # float32 keypoints of a few hundred pixels
    )


def test_badja_release_size_resizes_frames_joints_and_masks(badja, data_dir):
    found = badja_item(badja, coordinates='pixel_index')
    resized = badja_item(badja, coordinates='pixel_index', size=(320, 512))
    assert resized['video'].shape == (3, 320, 512, 3)
    expected = cv2.resize(found['video'][1], (512, 320), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(resized['video'][1], expected)
    scale = np.array([512 / 854, 320 / 480])
    np.testing.assert_allclose(resized['keypoints'], found['keypoints'] * scale, rtol=1e-5)
    mask = read_index_png(str(data_dir / 'DAVIS2016/Annotations/480p/horsejump-low/00002.png'))
    area = np.count_nonzero(cv2.resize(mask, (512, 320), interpolation=cv2.INTER_NEAREST))
    assert resized['mask_areas'][2] == area != found['mask_areas'][2]


def test_badja_annotated_clip_runs_from_the_first_annotated_frame_to_the_last(badja):
    records = annotation(badja)
    records[0]['image_path'] = records[0]['image_path'].replace('00000', '00001')
    records[0]['segmentation_path'] = records[0]['segmentation_path'].replace('00000', '00001')
    (badja / 'joint_annotations/horsejump-low.json').write_text(json.dumps(records))
    sequence, clip = badja_item(badja), badja_item(badja, clip='annotated')
    assert len(sequence['video']) == 3 and len(clip['video']) == 2
    np.testing.assert_array_equal(clip['video'], sequence['video'][1:])
    np.testing.assert_array_equal(clip['keypoints'], sequence['keypoints'][:, 1:])
    np.testing.assert_array_equal(clip['keypoint_visible'], sequence['keypoint_visible'][:, 1:])
    assert not sequence['keypoint_visible'][:, 0].any() and clip['keypoint_visible'][:, 0].any()


def test_badja_extra_videos_are_left_out_when_asked(badja):
    records = annotation(badja)
    for r in records:
        r['image_path'] = r['image_path'].replace('DAVIS/', 'extra_videos/')
        r['segmentation_path'] = r['segmentation_path'].replace('DAVIS/', 'extra_videos/')
    (badja / 'joint_annotations/rs_dog.json').write_text(json.dumps(records))
    options = dict(pipeline=[], davis_root='../DAVIS2016', joints=BADJA_JOINTS)
    everything = BadjaDataset(str(badja), **options)
    assert len(everything) == 2
    with pytest.raises(FileNotFoundError, match='rs_dog'):
        everything.get_data_info(1)
    davis_only = BadjaDataset(str(badja), skip_extra_videos=True, **options)
    assert [davis_only.get_data_info(i)['video_name'] for i in range(len(davis_only))] == [
        'horsejump-low'
    ]


def test_every_joint_queried_at_the_first_frame():
    keypoints = np.arange(3 * 4 * 2, dtype=np.float32).reshape(3, 4, 2)
    visible = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]], bool)
    video = np.zeros((4, 5, 6, 3), np.uint8)

    def queries(**options):
        results = dict(video=video, keypoints=keypoints, keypoint_visible=visible)
        return SampleKeypointQueries(**options).transform(results)

    first_visible = queries()
    np.testing.assert_array_equal(first_visible['joint_ids'], [0, 1])
    np.testing.assert_array_equal(first_visible['query_points'][:, 0], [1, 0])
    clip_start = queries(seed='first_frame')
    np.testing.assert_array_equal(clip_start['joint_ids'], [0, 1, 2])
    expected = np.stack([np.zeros(3), keypoints[:, 0, 1], keypoints[:, 0, 0]], axis=-1)
    np.testing.assert_array_equal(clip_start['query_points'], expected)
    np.testing.assert_array_equal(clip_start['occluded'], ~visible)
    assert clip_start['raster_hw'] == (5, 6)
