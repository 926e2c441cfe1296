"""Occlusion of tracked points from the confidence of their propagated labels.

A point's label map at its query frame is a Gaussian whose peak is the
point's full confidence. Propagation averages memory labels with affinity
weights, so in a frame where the point is visible some pixel matches it and
inherits a label near that peak; where it is hidden (covered or out of view)
no pixel matches it and the label spreads thin. The confidence of point n in
frame t is ``peaks[n, t] / peaks[n, q_n]`` (``q_n`` its query frame); the
point is predicted occluded where the confidence is below ``threshold``.
"""

import torch


def occlusion_from_peaks(
    peaks: torch.Tensor, query_frames: torch.Tensor, threshold: float
) -> torch.Tensor:
    """Predicted occlusion ``[N, T]`` bool from label peaks ``[N, T]``.

    Args:
        peaks: maximum of every point's label map in every frame (see
            :func:`fgvc.propagation.track_points_with_peaks`).
        query_frames: ``[N]`` integer query frame of every point.
        threshold: relative confidence below which a point is occluded.
    """
    return occluded(peaks, peaks_at(peaks, query_frames), threshold)


def peaks_at(peaks: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """``[N, 1]``: each point's peak ``peaks`` ``[N, T]`` in its frame ``frames`` ``[N]``."""
    return peaks.gather(1, frames.long()[:, None])


def occluded(peaks: torch.Tensor, query_peaks: torch.Tensor, threshold: float) -> torch.Tensor:
    """Whether label ``peaks`` fall below ``threshold`` times the ``query_peaks``
    (broadcast against each other)."""
    confidence = peaks / query_peaks.clamp_min(torch.finfo(peaks.dtype).tiny)
    return confidence < threshold
