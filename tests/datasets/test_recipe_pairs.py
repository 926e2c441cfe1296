"""The data options where the release's recipe differs from ours, each on a
hand-computed case: FlyingThings3D views, frame gap and the last pair,
which unlabelled item joins a labelled one, the blur's implementation, the
random resized crop's fallback and the short-side resize."""

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.dataset import BaseDataset

from fgvc.datasets import FlyingThingsPairs, MixedPairs, RealVideoPairs, YouTubeVOSPairs
from fgvc.datasets.io.pfm import write_pfm
from fgvc.datasets.synthetic.writers.flyingthings import VIEWS, flow_path, frame_path
from fgvc.datasets.transforms import (
    PairGaussianBlur,
    PairRandomResizedCrop,
    PairResizeShortSide,
)
from fgvc.fileio import write_rgb


@pytest.fixture(scope='module')
def flyingthings_root(tmp_path_factory) -> Path:
    """Two sequences of three 8x8 frames, both views, every flow."""
    root = tmp_path_factory.mktemp('flyingthings')
    for seq in range(2):
        for number in range(6, 9):
            for view, _ in VIEWS:
                path = frame_path(str(root), seq, number, view)
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                write_rgb(path, np.full((8, 8, 3), 10 * number, np.uint8))
                for direction in ('into_future', 'into_past'):
                    path = flow_path(str(root), seq, number, direction, view)
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                    write_pfm(path, np.zeros((8, 8, 2), np.float32))
    return root


def view_of(path: str) -> str:
    return Path(path).parent.name


def test_left_view_only_halves_the_pairs(flyingthings_root):
    # 2 sequences x 2 consecutive pairs x 2 directions = 8 pairs per view
    left = FlyingThingsPairs(str(flyingthings_root), pipeline=[], views=('left',))
    both = FlyingThingsPairs(str(flyingthings_root), pipeline=[], views=('left', 'right'))
    assert len(left) == 8 and len(both) == 16
    left_refs = [view_of(left.get_data_info(i)['sources'][0]) for i in range(len(left))]
    both_refs = [view_of(both.get_data_info(i)['sources'][0]) for i in range(len(both))]
    assert left_refs == ['left'] * 8
    assert sorted(both_refs) == ['left'] * 8 + ['right'] * 8


def write_video_list(root: Path, lengths: dict) -> None:
    """YouTube-VOS layout: videos of ``lengths`` frames of 4x4 pixels."""
    for name, count in lengths.items():
        folder = root / 'JPEGImages' / name
        folder.mkdir(parents=True)
        for i in range(count):
            cv2.imwrite(str(folder / f'{i:05d}.jpg'), np.full((4, 4, 3), i, np.uint8))
    videos = {name: [f'{i:05d}.jpg' for i in range(count)] for name, count in lengths.items()}
    (root / 'list.json').write_text(json.dumps(videos))


def drawn_pairs(dataset: BaseDataset, draws: int = 300) -> set:
    np.random.seed(0)
    pairs = set()
    for _ in range(draws):
        sources = dataset.get_data_info(0)['sources']
        pairs.add(tuple(int(Path(s).stem.split('#')[-1]) for s in sources))
    return pairs


@pytest.mark.parametrize(
    'frame_steps, last_pair, expected',
    [
        ((1, 1), True, {(0, 1), (1, 2), (2, 3), (3, 4)}),
        ((1, 1), False, {(0, 1), (1, 2), (2, 3)}),  # the release: never the last pair
        ((1, 2), True, {(0, 1), (1, 2), (2, 3), (3, 4), (0, 2), (1, 3), (2, 4)}),
        ((1, 2), False, {(0, 1), (1, 2), (2, 3), (0, 2)}),
    ],
)
def test_youtube_vos_pairs_of_a_five_frame_video(tmp_path, frame_steps, last_pair, expected):
    write_video_list(tmp_path, dict(five=5))
    dataset = YouTubeVOSPairs(
        str(tmp_path), 'list.json', pipeline=[], frame_steps=frame_steps, last_pair=last_pair
    )
    assert drawn_pairs(dataset) == expected


def listed(dataset: BaseDataset, index: int) -> dict:
    """Entry ``index`` of the dataset's list, without loading its frames."""
    return BaseDataset.get_data_info(dataset, index)


@pytest.mark.parametrize('frame_steps, last_pair, kept', [
    ((1, 1), True, ['five', 'three', 'two']),
    ((1, 1), False, ['five', 'three']),  # the release needs more than 2 * step frames
    ((1, 2), False, ['five']),
])  # fmt: skip
def test_short_videos_are_skipped_as_the_release_skips_them(tmp_path, frame_steps, last_pair, kept):
    write_video_list(tmp_path, dict(two=2, three=3, five=5))
    ytv = YouTubeVOSPairs(
        str(tmp_path), 'list.json', pipeline=[], frame_steps=frame_steps, last_pair=last_pair
    )
    assert [listed(ytv, i)['video_name'] for i in range(len(ytv))] == kept
    real = RealVideoPairs(str(tmp_path), pipeline=[], frame_steps=frame_steps, last_pair=last_pair)
    assert [listed(real, i)['video'] for i in range(len(real))] == kept


def test_real_video_pairs_follow_the_same_rule(tmp_path):
    write_video_list(tmp_path, dict(five=5))
    dataset = RealVideoPairs(str(tmp_path), pipeline=[], frame_steps=(1, 1), last_pair=False)
    assert drawn_pairs(dataset) == {(0, 1), (1, 2), (2, 3)}


class Items(BaseDataset):
    """A dataset of ``count`` items ``dict(index=i)``."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(pipeline=[])

    def load_data_list(self):
        return [dict(index=i) for i in range(self.count)]


@pytest.mark.parametrize('choice', ['random', 'modulo'])
def test_unlabelled_item_drawn_or_taken_modulo(choice):
    mixed = MixedPairs(Items(7), Items(3), pipeline=[], unlabelled_choice=choice)
    np.random.seed(0)
    partners = [mixed[i]['unlabelled']['index'] for i in range(7)]
    if choice == 'modulo':
        assert partners == [0, 1, 2, 0, 1, 2, 0]
    else:
        np.random.seed(0)
        assert partners == [int(np.random.randint(3)) for _ in range(7)]


def extended_box_kernel(radius: float, passes: int = 3) -> np.ndarray:
    """Pillow's Gaussian: ``passes`` box filters of radius l + a (Gwosdek et
    al. 2011), each of variance radius^2 / passes."""
    var = radius * radius / passes
    size = math.sqrt(12 * var + 1)
    whole = math.floor((size - 1) / 2)
    frac = (2 * whole + 1) * (whole * (whole + 1) - 3 * var) / (6 * (var - (whole + 1) ** 2))
    box = np.ones(2 * whole + 3)
    box[0] = box[-1] = frac
    box /= 2 * whole + 1 + 2 * frac
    kernel = np.array([1.0])
    for _ in range(passes):
        kernel = np.convolve(kernel, box)
    return kernel


def sampled_gaussian(sigma: float) -> np.ndarray:
    """OpenCV's kernel for uint8 frames: 2 * round(3 sigma) + 1 samples, normalised."""
    half = int(round(sigma * 3 * 2 + 1)) // 2
    x = np.arange(-half, half + 1)
    kernel = np.exp(-(x**2) / (2 * sigma**2))
    return kernel / kernel.sum()


def blurred_impulse(sigma: float, backend: str) -> np.ndarray:
    imgs = np.zeros((2, 31, 31, 3), np.uint8)
    imgs[:, 15, 15] = 255
    blur = PairGaussianBlur(prob=1.0, sigma=(sigma, sigma), backend=backend)
    out = blur.transform(dict(imgs=imgs))['imgs']
    assert np.array_equal(out[0], out[1])  # one blur for both frames
    return out[0, :, :, 0].astype(float)


def spread(kernel: np.ndarray) -> np.ndarray:
    """255 * the separable 2D kernel, centred in a 31x31 image."""
    half = len(kernel) // 2
    image = np.zeros((31, 31))
    image[15 - half : 16 + half, 15 - half : 16 + half] = 255 * np.outer(kernel, kernel)
    return image


@pytest.mark.parametrize('sigma', [2.0, 0.2])
def test_blur_radius_and_sigma_are_both_the_standard_deviation(sigma):
    for kernel in (extended_box_kernel(sigma), sampled_gaussian(sigma)):
        half = len(kernel) // 2
        variance = (kernel * np.arange(-half, half + 1) ** 2).sum()
        # the box cascade has variance radius^2 exactly; the sampled Gaussian
        # falls short where sigma is below a pixel (no sample but the centre)
        assert variance == pytest.approx(sigma**2, rel=0.02 if sigma > 1 else 1.0)
    # Pillow rounds to uint8 after each of its six 1D passes
    np.testing.assert_allclose(
        blurred_impulse(sigma, 'pillow'), spread(extended_box_kernel(sigma)), atol=2
    )
    np.testing.assert_allclose(
        blurred_impulse(sigma, 'opencv'), spread(sampled_gaussian(sigma)), atol=1
    )


def test_release_radius_blurs_where_opencv_at_that_sigma_does_not():
    # radius 0.2: Pillow's boxes give each neighbour about 2% (variance 0.04);
    # OpenCV's sampled Gaussian at sigma 0.2 is exp(-12.5) off the centre
    pillow, opencv = blurred_impulse(0.2, 'pillow'), blurred_impulse(0.2, 'opencv')
    assert pillow[15, 14] == pillow[15, 16] > 0 and pillow[15, 15] < 255
    assert opencv[15, 15] == 255 and opencv.sum() == 255


def test_blur_backend_is_checked():
    with pytest.raises(ValueError, match='backend must be one of'):
        PairGaussianBlur(prob=0.5, sigma=(0.1, 0.2), backend='pil')


def striped(height: int, width: int) -> dict:
    """A pair whose pixels hold 10 x their column; flows (1, 2) everywhere."""
    columns = (10 * np.arange(width)).astype(np.uint8)
    imgs = np.broadcast_to(columns[None, None, :, None], (2, height, width, 3)).copy()
    flow = np.broadcast_to(np.array([1.0, 2.0], np.float32), (height, width, 2)).copy()
    return dict(imgs=imgs, flow=flow, flow_back=flow.copy())


@pytest.mark.parametrize(
    'fallback, row',
    [
        ('whole', [5, 25, 45, 65]),  # 4x8 halved in width: pairs of columns averaged
        ('centre_square', [20, 30, 40, 50]),  # columns 2-5, kept at 4x4
    ],
)
def test_random_resized_crop_fallback_when_no_window_fits(fallback, row):
    # area 1 at aspect 4 needs a 11x3 window: never fits a 4x8 frame
    crop = PairRandomResizedCrop(
        size=(4, 4), area=(1.0, 1.0), aspect_ratio=(4.0, 4.0), fallback=fallback
    )
    out = crop.transform(striped(4, 8))
    assert out['imgs'].shape == (2, 4, 4, 3)
    assert out['imgs'][0, :, :, 0].tolist() == [row] * 4
    expected_flow = [0.5, 2.0] if fallback == 'whole' else [1.0, 2.0]
    np.testing.assert_allclose(out['flow'][0, 0], expected_flow)


def test_resize_short_side_averages_pixels_and_scales_flows():
    out = PairResizeShortSide(size=2).transform(striped(4, 8))
    assert out['imgs'].shape == (2, 2, 4, 3)
    assert out['imgs'][1, :, :, 0].tolist() == [[5, 25, 45, 65]] * 2
    np.testing.assert_allclose(out['flow'], np.broadcast_to([0.5, 1.0], (2, 4, 2)))
    np.testing.assert_allclose(out['flow_back'], np.broadcast_to([0.5, 1.0], (2, 4, 2)))
    # the long side is rounded to the nearest pixel: 6x9 -> 4x6
    assert PairResizeShortSide(size=4).transform(striped(6, 9))['imgs'].shape == (2, 4, 6, 3)
