import pytest
import torch
from torch import Tensor

from fgvc.models.ops import local_correlation, local_correlation_fast


def brute_force(feat1: Tensor, feat2: Tensor, radius: int, dilation: int) -> Tensor:
    batch, _, height, width = feat1.shape
    size = 2 * radius + 1
    out = torch.zeros(batch, size * size, height, width, dtype=feat1.dtype)
    for y in range(height):
        for x in range(width):
            for dy in range(-radius, radius + 1):
                for dx in range(-radius, radius + 1):
                    ty, tx = y + dy * dilation, x + dx * dilation
                    if 0 <= ty < height and 0 <= tx < width:
                        out[:, (dy + radius) * size + dx + radius, y, x] = (
                            feat1[:, :, y, x] * feat2[:, :, ty, tx]
                        ).sum(1)
    return out


CASES = [
    # (batch, channels, height, width, radius, dilation)
    (2, 5, 7, 9, 2, 1),  # odd sizes
    (1, 3, 7, 9, 10, 1),  # window larger than the image
    (2, 4, 9, 7, 3, 2),  # dilation 2
    (1, 3, 5, 6, 1, 3),  # dilation 3, sub-lattices of unequal sizes
    (1, 2, 4, 4, 0, 1),  # radius 0: plain per-pixel dot product
]


@pytest.mark.parametrize('batch,channels,height,width,radius,dilation', CASES)
def test_matches_brute_force(
    batch: int, channels: int, height: int, width: int, radius: int, dilation: int
) -> None:
    generator = torch.Generator().manual_seed(0)
    shape = (batch, channels, height, width)
    feat1 = torch.randn(shape, generator=generator)
    feat2 = torch.randn(shape, generator=generator)
    expected = brute_force(feat1, feat2, radius, dilation)
    reference = local_correlation(feat1, feat2, radius, dilation)
    assert reference.shape == (batch, (2 * radius + 1) ** 2, height, width)
    assert (reference - expected).abs().max() < 1e-5
    for tile_size in (16, 3, 1):
        fast = local_correlation_fast(feat1, feat2, radius, dilation, tile_size=tile_size)
        assert (fast - expected).abs().max() < 1e-5


def test_channel_order_and_border() -> None:
    # feat2 is one-hot at pixel (2, 3): channel (dy+R)*(2R+1)+(dx+R) of pixel
    # p is non-zero exactly where p + d = (2, 3).
    radius, height, width = 2, 5, 6
    feat1 = torch.ones(1, 1, height, width)
    feat2 = torch.zeros(1, 1, height, width)
    feat2[0, 0, 2, 3] = 1
    for fn in (local_correlation, local_correlation_fast):
        corr = fn(feat1, feat2, radius)
        for y in range(height):
            for x in range(width):
                dy, dx = 2 - y, 3 - x
                hits = corr[0, :, y, x].nonzero().flatten().tolist()
                inside = max(abs(dy), abs(dx)) <= radius
                size = 2 * radius + 1
                assert hits == ([(dy + radius) * size + dx + radius] if inside else [])


@pytest.mark.parametrize('fn', [local_correlation, local_correlation_fast])
@pytest.mark.parametrize('dilation', [1, 2])
def test_gradcheck(fn, dilation: int) -> None:
    generator = torch.Generator().manual_seed(0)
    shape = (1, 2, 4, 5)
    feat1 = torch.randn(shape, generator=generator, dtype=torch.float64, requires_grad=True)
    feat2 = torch.randn(shape, generator=generator, dtype=torch.float64, requires_grad=True)
    kwargs = dict(tile_size=3) if fn is local_correlation_fast else {}
    # The full check runs the backward once per output value, slow for the
    # fast path's Python-level backward on a busy CPU; its fast mode checks
    # random projections, and the test below compares whole gradients.
    assert torch.autograd.gradcheck(
        lambda a, b: fn(a, b, 2, dilation, **kwargs),
        (feat1, feat2),
        fast_mode=fn is local_correlation_fast,
    )


@pytest.mark.parametrize(
    'height,width,tile_size,dilation', [(8, 8, 4, 1), (13, 11, 4, 1), (12, 9, 3, 2)]
)
def test_fast_gradients_match_reference(
    height: int, width: int, tile_size: int, dilation: int
) -> None:
    generator = torch.Generator().manual_seed(0)
    # Non-contiguous inputs, as a slice of a larger tensor would be.
    feat1, feat2 = torch.randn(2, 2, 6, width, height, generator=generator).transpose(-1, -2)
    grad = torch.randn(2, 49, height, width, generator=generator)
    results = []
    for fn, kwargs in (
        (local_correlation, {}),
        (local_correlation_fast, dict(tile_size=tile_size)),
    ):
        inputs = [x.clone().requires_grad_() for x in (feat1, feat2)]
        fn(*inputs, 3, dilation, **kwargs).backward(grad)
        results.append([x.grad for x in inputs])
    for expected, actual in zip(*results):
        assert (expected - actual).abs().max() < 1e-4


@pytest.mark.parametrize('fn', [local_correlation, local_correlation_fast])
def test_rejects_bad_inputs(fn) -> None:
    feat = torch.zeros(1, 2, 3, 3)
    with pytest.raises(ValueError):
        fn(feat, torch.zeros(1, 2, 3, 4), 1)
    with pytest.raises(ValueError):
        fn(feat, feat, -1)
    with pytest.raises(ValueError):
        fn(feat, feat, 1, dilation=0)
