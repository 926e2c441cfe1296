"""Local correlation of two feature maps over a square window of displacements.

For every pixel ``p`` of ``feat1`` and every displacement ``d = (dy, dx)`` in
``[-R, R]^2`` the output holds ``<feat1[p], feat2[p + d * dilation]>`` (zero
where ``p + d * dilation`` falls outside ``feat2``) at channel
``(dy + R) * (2R + 1) + (dx + R)``.

``local_correlation`` is the plain reference: one matrix product per image
row and vertical displacement, differentiated by autograd.
``local_correlation_fast`` multiplies square tiles with their halos instead,
which wastes fewer products on displacements outside the window, and has a
hand-written backward pass of the same form; on CPU it is faster for the
radius-24 window FGVC uses at stride 2 (``tools/benchmark.py`` times both).
"""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable


def _check_inputs(feat1: Tensor, feat2: Tensor, radius: int, dilation: int) -> None:
    if feat1.dim() != 4 or feat1.shape != feat2.shape:
        raise ValueError(
            'feat1 and feat2 must both be (B, C, H, W) of the '
            f'same shape, got {tuple(feat1.shape)} and '
            f'{tuple(feat2.shape)}'
        )
    if radius < 0 or dilation < 1:
        raise ValueError(
            f'need radius >= 0 and dilation >= 1, got radius={radius}, dilation={dilation}'
        )


def local_correlation(feat1: Tensor, feat2: Tensor, radius: int, dilation: int = 1) -> Tensor:
    """Correlate ``feat1`` with ``feat2`` over a ``(2R+1)^2`` window.

    For each vertical displacement, every row of ``feat1`` is multiplied
    with the displaced row of zero-padded ``feat2``; horizontal displacement
    ``dx`` is the diagonal of that (W, W + 2Rk) product at offset
    ``(dx + R) * k`` for dilation ``k``. Besides the output this holds one
    (B*H, W, W + 2Rk) product at a time (autograd keeps the rows of every
    product for the backward pass).

    Args:
        feat1: (B, C, H, W) features whose pixels are the window centres.
        feat2: (B, C, H, W) features sampled around each centre.
        radius: Window radius R, in units of ``dilation`` pixels.
        dilation: Step between neighbouring displacements, in pixels.

    Returns:
        (B, (2R+1)^2, H, W) dot products over C, row-major over (dy, dx).
    """
    _check_inputs(feat1, feat2, radius, dilation)
    batch, channels, height, width = feat1.shape
    pad = radius * dilation
    padded = F.pad(feat2, (pad, pad, pad, pad))
    rows1 = feat1.permute(0, 2, 3, 1).reshape(batch * height, width, channels)
    offsets = range(0, 2 * pad + 1, dilation)
    bands = []
    for y in offsets:
        rows2 = (
            padded[:, :, y : y + height]
            .transpose(1, 2)
            .reshape(batch * height, channels, width + 2 * pad)
        )
        products = torch.bmm(rows1, rows2)
        bands.append(torch.stack([products.diagonal(x, 1, 2) for x in offsets], 1))
    corr = torch.cat(bands, 1).view(batch, height, -1, width)
    return corr.transpose(1, 2).contiguous()


class _TileGeometry:
    """Tiling of a (B, C, H, W) map into ``T x T`` tiles with ``L x L`` halos
    (``L = T + 2R``) and the strided view that picks the window band out of
    a tile-by-halo product.

    In the (L*L, T*T) product of a halo with its tile, pixel (ty, tx) meets
    displacement (dy, dx) at row (ty+dy)*L + tx+dx, column ty*T + tx: an
    affine function of (dy, dx, ty, tx), so the band is a strided view.
    """

    def __init__(self, shape: torch.Size, radius: int, tile_size: int) -> None:
        self.batch, self.channels, self.height, self.width = shape
        self.radius = radius
        self.tile = tile_size
        self.size = 2 * radius + 1
        self.halo = tile_size + 2 * radius
        self.tiles_x = -(-self.width // tile_size)
        self.padded_height = -(-self.height // tile_size) * tile_size
        self.padded_width = self.tiles_x * tile_size
        pixels = tile_size**2
        self.band_size = (self.batch * self.tiles_x, self.size, self.size, tile_size, tile_size)
        self.band_stride = (
            self.halo**2 * pixels,
            self.halo * pixels,
            pixels,
            self.halo * pixels + tile_size,
            pixels + 1,
        )

    def pad(self, feat1: Tensor, feat2: Tensor) -> Tuple[Tensor, Tensor]:
        """Pad ``feat1`` to whole tiles and ``feat2`` by R more on each side,
        channels last so that every halo row is one contiguous run."""
        extra_y = self.padded_height - self.height
        extra_x = self.padded_width - self.width
        feat1 = F.pad(feat1, (0, extra_x, 0, extra_y))
        feat2 = F.pad(
            feat2, (self.radius, self.radius + extra_x, self.radius, self.radius + extra_y)
        )
        return feat1, feat2.permute(0, 2, 3, 1)

    def tiles(self, feat1: Tensor, top: int) -> Tensor:
        """(B*tiles_x, C, T*T) pixels of the tile row starting at ``top``."""
        rows = feat1[:, :, top : top + self.tile].reshape(
            self.batch, self.channels, self.tile, self.tiles_x, self.tile
        )
        return rows.permute(0, 3, 1, 2, 4).reshape(-1, self.channels, self.tile**2)

    def halos(self, feat2: Tensor, top: int) -> Tensor:
        """(B*tiles_x, L*L, C) halos of the tile row starting at ``top``."""
        rows = feat2[:, top : top + self.halo].unfold(2, self.halo, self.tile)
        return rows.permute(0, 2, 1, 4, 3).reshape(-1, self.halo**2, self.channels)

    def band(self, products: Tensor) -> Tensor:
        """(B, K, K, T, tiles_x, T) window band of (B*tiles_x, L*L, T*T)
        products, as a view."""
        band = products.as_strided(self.band_size, self.band_stride)
        return band.view(
            self.batch, self.tiles_x, self.size, self.size, self.tile, self.tile
        ).permute(0, 2, 3, 4, 1, 5)

    def output_rows(self, corr: Tensor, top: int) -> Tensor:
        """View of the (B, K, K, Hp, Wp) output rows of one tile row."""
        return corr[..., top : top + self.tile, :].view(
            self.batch, self.size, self.size, self.tile, self.tiles_x, self.tile
        )


class _TiledCorrelation(torch.autograd.Function):
    """Dilation-1 local correlation as tile-by-halo matrix products.

    The backward pass recomputes tiles and halos instead of saving them, so
    it keeps only the two inputs.
    """

    @staticmethod
    def forward(ctx, feat1: Tensor, feat2: Tensor, radius: int, tile_size: int) -> Tensor:
        geometry = _TileGeometry(feat1.shape, radius, tile_size)
        ctx.save_for_backward(feat1, feat2)
        ctx.geometry = geometry
        padded1, padded2 = geometry.pad(feat1, feat2)
        corr = feat1.new_empty(
            geometry.batch,
            geometry.size,
            geometry.size,
            geometry.padded_height,
            geometry.padded_width,
        )
        for top in range(0, geometry.padded_height, tile_size):
            products = torch.bmm(geometry.halos(padded2, top), geometry.tiles(padded1, top))
            geometry.output_rows(corr, top).copy_(geometry.band(products))
        corr = corr.view(
            geometry.batch, geometry.size**2, geometry.padded_height, geometry.padded_width
        )
        return corr[..., : geometry.height, : geometry.width].contiguous()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, Tensor, None, None]:
        feat1, feat2 = ctx.saved_tensors
        geometry = ctx.geometry
        padded1, padded2 = geometry.pad(feat1, feat2)
        grad = F.pad(
            grad,
            (
                0,
                geometry.padded_width - geometry.width,
                0,
                geometry.padded_height - geometry.height,
            ),
        )
        grad = grad.contiguous().view(
            geometry.batch,
            geometry.size,
            geometry.size,
            geometry.padded_height,
            geometry.padded_width,
        )
        grad1 = padded1.new_zeros(padded1.shape)
        grad2 = padded2.new_zeros(padded2.shape)
        halo, tile = geometry.halo, geometry.tile
        for top in range(0, geometry.padded_height, tile):
            tiles = geometry.tiles(padded1, top)
            halos = geometry.halos(padded2, top)
            grad_products = tiles.new_zeros(tiles.shape[0], halo**2, tile**2)
            geometry.band(grad_products).copy_(geometry.output_rows(grad, top))
            grad_tiles = torch.bmm(halos.transpose(1, 2), grad_products)
            grad1[:, :, top : top + tile].view(
                geometry.batch, geometry.channels, tile, geometry.tiles_x, tile
            ).copy_(
                grad_tiles.view(
                    geometry.batch, geometry.tiles_x, geometry.channels, tile, tile
                ).permute(0, 2, 3, 1, 4)
            )
            grad_halos = torch.bmm(grad_products, tiles.transpose(1, 2)).view(
                geometry.batch, geometry.tiles_x, halo, halo, geometry.channels
            )
            for index in range(geometry.tiles_x):
                left = index * tile
                grad2[:, top : top + halo, left : left + halo] += grad_halos[:, index]
        grad1 = grad1[..., : geometry.height, : geometry.width]
        grad2 = grad2[
            :,
            geometry.radius : geometry.radius + geometry.height,
            geometry.radius : geometry.radius + geometry.width,
        ]
        return grad1, grad2.permute(0, 3, 1, 2), None, None


def local_correlation_fast(
    feat1: Tensor, feat2: Tensor, radius: int, dilation: int = 1, tile_size: int = 16
) -> Tensor:
    """Same result as :func:`local_correlation`, as tiled matrix products.

    With dilation ``k`` only pixels congruent modulo ``k`` meet, so each of
    the ``k^2`` sub-lattices ``[a::k, b::k]`` is correlated on its own at
    dilation 1 and written back in place.

    Args:
        feat1, feat2, radius, dilation: As in :func:`local_correlation`.
        tile_size: Side T of the pixel tiles; a tile's product computes
            ``T^2 (T+2R)^2`` dot products of which ``T^2 (2R+1)^2`` are kept.
            One row of tiles is processed at a time, which needs about
            ``B * W / T * (T+2R)^2 * (T^2 + C)`` values besides the output,
            in the forward and in the backward pass alike (the backward
            recomputes tiles and halos; only the inputs are saved).
            Double backward is not supported.
    """
    _check_inputs(feat1, feat2, radius, dilation)
    if tile_size < 1:
        raise ValueError(f'tile_size must be >= 1, got {tile_size}')
    if dilation == 1:
        return _TiledCorrelation.apply(feat1, feat2, radius, tile_size)
    batch, _, height, width = feat1.shape
    corr = feat1.new_zeros(batch, (2 * radius + 1) ** 2, height, width)
    for a in range(min(dilation, height)):
        for b in range(min(dilation, width)):
            corr[..., a::dilation, b::dilation] = _TiledCorrelation.apply(
                feat1[..., a::dilation, b::dilation],
                feat2[..., a::dilation, b::dilation],
                radius,
                tile_size,
            )
    return corr
