"""Colour-space conversion on tensors (so it runs on the model's device)."""

import torch

# CIE constants: sRGB (D65) -> XYZ matrix, D65 white point, Lab's knee.
_RGB_TO_XYZ = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65_WHITE = torch.tensor([0.95047, 1.0, 1.08883])
_LAB_EPSILON = (6.0 / 29.0) ** 3


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """Convert sRGB in [0, 1], channels first ``[..., 3, H, W]``, to CIE Lab.

    L lies in [0, 100], a and b roughly in [-128, 127] (the same values as
    ``skimage.color.rgb2lab``).
    """
    linear = torch.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    matrix = _RGB_TO_XYZ.to(rgb)
    xyz = torch.einsum('ij,...jhw->...ihw', matrix, linear)
    xyz = xyz / _D65_WHITE.to(rgb).view(3, 1, 1)
    f = torch.where(
        xyz > _LAB_EPSILON,
        xyz.clamp_min(_LAB_EPSILON) ** (1.0 / 3.0),
        xyz / (3 * (6.0 / 29.0) ** 2) + 4.0 / 29.0,
    )
    fx, fy, fz = f.unbind(-3)
    return torch.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], dim=-3)
