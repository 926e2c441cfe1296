"""FGVC: fine-grained features for pixel-wise video correspondence."""

__version__ = '0.1.0'
