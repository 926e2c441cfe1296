"""Readers and writers of on-disk file formats."""

from .pfm import read_pfm, write_pfm

__all__ = ['read_pfm', 'write_pfm']
