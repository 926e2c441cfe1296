"""One module per on-disk format written by the synthetic generator."""
