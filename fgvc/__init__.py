"""FGVC: fine-grained features for pixel-wise video correspondence."""

from .version import __version__

__all__ = ['__version__']
