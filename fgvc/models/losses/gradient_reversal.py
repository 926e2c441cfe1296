"""Gradient reversal: identity forward, gradient times ``-alpha`` backward."""

from typing import Tuple

import torch
from torch import Tensor, nn


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, alpha: float) -> Tensor:
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None]:
        return -ctx.alpha * grad, None


def reverse_gradient(x: Tensor, alpha: float) -> Tensor:
    """Return ``x`` unchanged; its gradient is multiplied by ``-alpha``."""
    return _ReverseGradient.apply(x, alpha)


class GradientReversal(nn.Module):
    """Module form of :func:`reverse_gradient` (no parameters)."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return reverse_gradient(x, self.alpha)

    def extra_repr(self) -> str:
        return f'alpha={self.alpha}'
