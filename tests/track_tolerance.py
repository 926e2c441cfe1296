"""Comparing tracks with tracks computed on another machine.

float32 sums in another order (AVX2 against AVX-512 kernels, another thread
count) move a track by about 1e-4 px, except where two candidate matches are
a near tie: there the top-k or the argmax can fall the other way and move
one point-frame by a fraction of a cell (seen: 1 of 96 point-frames, 0.2 px,
in two unrelated references). A changed propagation moves many point-frames
by a cell or more, which these bounds still catch.
"""

import numpy as np

#: Point-frames agree to this (px).
TRACK_TOLERANCE = 1e-3
#: Except for at most this share of them, by at most TIE_TOLERANCE px.
TIE_SHARE, TIE_TOLERANCE = 0.02, 0.5


def assert_tracks_close(actual, expected) -> None:
    """``actual`` and ``expected`` ``[..., 2]`` tracks agree as the module says."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    error = np.abs(actual - expected).max(axis=-1)
    far = error > TRACK_TOLERANCE
    assert far.mean() <= TIE_SHARE, (
        f'{far.sum()} of {far.size} point-frames off, up to {error.max()}'
    )
    assert error.max() <= TIE_TOLERANCE, error.max()
