"""Pure-numpy evaluation metrics for pixel-wise video correspondence.

Everything here operates on numpy arrays only (scipy/cv2 are used for
morphology); nothing imports torch or ``fgvc.models`` so the functions can be
used offline on saved predictions.

Contents (see docs/method.md section 6):

* TAP-Vid: :func:`compute_tapvid_metrics` (the queries are sampled by
  :mod:`fgvc.datasets.transforms.queries`). Conventions follow the official
  TAP-Vid evaluation (tapnet).
* DAVIS-2017 J&F: :func:`region_similarity` (J), :func:`boundary_f_measure`
  (F), :func:`summary_statistics` (mean / recall / decay). Conventions follow
  the official ``davis2017-evaluation`` package.
* Keypoint PCK for JHMDB and BADJA: :func:`pck`, :func:`pck_correct`,
  :func:`jhmdb_normaliser`, :func:`badja_normaliser`, :func:`jhmdb_pck`,
  :func:`badja_pck`.
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

__all__ = [
    'TAPVID_THRESHOLDS',
    'JHMDB_THRESHOLDS',
    'BADJA_THRESHOLD',
    'compute_tapvid_metrics',
    'region_similarity',
    'boundary_f_measure',
    'seg2bmap',
    'disk',
    'summary_statistics',
    'pck_correct',
    'pck',
    'jhmdb_normaliser',
    'badja_normaliser',
    'jhmdb_pck',
    'badja_pck',
]

#: Pixel thresholds (in a 256x256 raster) of the TAP-Vid metrics.
TAPVID_THRESHOLDS: Tuple[int, ...] = (1, 2, 4, 8, 16)
#: PCK@alpha values reported on JHMDB.
JHMDB_THRESHOLDS: Tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)
#: PCK@alpha value reported on BADJA.
BADJA_THRESHOLD: float = 0.2


# --------------------------------------------------------------------------
# TAP-Vid
# --------------------------------------------------------------------------
def _tapvid_evaluation_mask(
    query_points: np.ndarray, num_frames: int, query_mode: str
) -> np.ndarray:
    """Boolean mask [b, n, T] of the frames each query is evaluated on.

    'first': frames strictly after the query frame.
    'strided': every frame except the query frame.
    The query frame is ``round(query_points[..., 0])``.
    """
    frames = np.arange(num_frames)
    query_frame = np.round(query_points[..., 0]).astype(np.int64)[..., None]
    if query_mode == 'first':
        return frames > query_frame
    if query_mode == 'strided':
        return frames != query_frame
    raise ValueError(f"query_mode must be 'first' or 'strided', got {query_mode!r}")


def compute_tapvid_metrics(
    query_points: np.ndarray,
    gt_occluded: np.ndarray,
    gt_tracks: np.ndarray,
    pred_occluded: np.ndarray,
    pred_tracks: np.ndarray,
    query_mode: str,
    thresholds: Sequence[float] = TAPVID_THRESHOLDS,
) -> Dict[str, np.ndarray]:
    """TAP-Vid metrics (occlusion accuracy, <delta^x, Jaccard), per video.

    All coordinates are raster coordinates (the benchmark uses 256x256).

    Args:
        query_points: [b, n, 3] queries as (t, y, x); only t is used. The
            query frame is ``round(t)``.
        gt_occluded: [b, n, T] bool, True where the ground-truth point is
            occluded.
        gt_tracks: [b, n, T, 2] ground-truth positions as (x, y).
        pred_occluded: [b, n, T] bool, predicted occlusion.
        pred_tracks: [b, n, T, 2] predicted positions as (x, y).
        query_mode: 'first' evaluates the frames after the query frame;
            'strided' evaluates all frames except the query frame.
        thresholds: pixel thresholds delta (default 1, 2, 4, 8, 16).

    Definitions (sums over the evaluation frames of all points of a video):
        * within_d = ||pred - gt||_2 < d (computed as squared distance
          < d**2).
        * occlusion_accuracy = #(pred_occluded == gt_occluded) / #frames.
        * pts_within_d = #(within_d & gt visible) / #(gt visible).
        * jaccard_d = TP / (#(gt visible) + FP) with
          TP = #(within_d & gt visible & pred visible) and
          FP = #(pred visible & (gt occluded | not within_d)).
        * average_jaccard, average_pts_within_thresh = means of the above
          over the thresholds.

    Returns:
        dict of float arrays of shape [b]: ``occlusion_accuracy``,
        ``pts_within_{d}``, ``jaccard_{d}`` for every threshold d,
        ``average_jaccard`` and ``average_pts_within_thresh``. A video with
        no evaluation frame / no visible point gives NaN (0/0).
    """
    gt_occluded = np.asarray(gt_occluded, dtype=bool)
    pred_occluded = np.asarray(pred_occluded, dtype=bool)
    gt_tracks = np.asarray(gt_tracks)
    pred_tracks = np.asarray(pred_tracks)
    evaluation = _tapvid_evaluation_mask(
        np.asarray(query_points), gt_occluded.shape[-1], query_mode
    )
    axes = (1, 2)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.sum(mask & evaluation, axis=axes)

    gt_visible = ~gt_occluded
    pred_visible = ~pred_occluded
    num_visible = count(gt_visible)
    with np.errstate(divide='ignore', invalid='ignore'):
        metrics: Dict[str, np.ndarray] = {
            'occlusion_accuracy': count(gt_occluded == pred_occluded)
            / np.sum(evaluation, axis=axes)
        }
        sq_dist = np.sum(np.square(pred_tracks - gt_tracks), axis=-1)
        all_within, all_jaccard = [], []
        for thresh in thresholds:
            within = sq_dist < np.square(thresh)
            correct = within & gt_visible
            frac_within = count(correct) / num_visible
            true_pos = count(correct & pred_visible)
            false_pos = count(pred_visible & (gt_occluded | ~within))
            jaccard = true_pos / (num_visible + false_pos)
            metrics[f'pts_within_{thresh}'] = frac_within
            metrics[f'jaccard_{thresh}'] = jaccard
            all_within.append(frac_within)
            all_jaccard.append(jaccard)
    metrics['average_jaccard'] = np.mean(np.stack(all_jaccard, 1), axis=1)
    metrics['average_pts_within_thresh'] = np.mean(np.stack(all_within, 1), axis=1)
    return metrics


# --------------------------------------------------------------------------
# DAVIS J & F
# --------------------------------------------------------------------------
def _as_frames(masks: np.ndarray) -> np.ndarray:
    """View [..., H, W] masks as bool [N, H, W]."""
    masks = np.asarray(masks)
    if masks.ndim < 2:
        raise ValueError(f'expected masks of shape [..., H, W], got {masks.shape}')
    return masks.reshape((-1,) + masks.shape[-2:]).astype(bool)


def _void_frames(void: Optional[np.ndarray], shape: Tuple[int, ...]) -> np.ndarray:
    if void is None:
        return np.zeros((int(np.prod(shape[:-2], dtype=np.int64)),) + tuple(shape[-2:]), dtype=bool)
    void = np.broadcast_to(np.asarray(void), shape)
    return _as_frames(void)


def _mask_frames(gt, pred, void) -> tuple:
    """Check shapes; return gt, pred as [F, H, W] bool and the non-void mask."""
    gt = np.asarray(gt)
    if gt.shape != np.shape(pred):
        raise ValueError(f'shape mismatch: gt {gt.shape} vs pred {np.shape(pred)}')
    return _as_frames(gt), _as_frames(pred), ~_void_frames(void, gt.shape)


def region_similarity(
    gt: np.ndarray, pred: np.ndarray, void: Optional[np.ndarray] = None
) -> np.ndarray:
    """DAVIS region similarity J (Jaccard index / IoU) per frame.

    J = |gt & pred & ~void| / |(gt | pred) & ~void|, and J = 1 when that
    union is empty (nothing to segment and nothing predicted).

    Args:
        gt: [..., H, W] binary ground-truth masks (non-zero = object).
        pred: [..., H, W] binary predicted masks.
        void: optional [..., H, W] mask (non-zero = void pixel, ignored).

    Returns:
        float64 array of shape ``gt.shape[:-2]`` (e.g. [T] for [T, H, W]).
    """
    g, p, keep = _mask_frames(gt, pred, void)
    inter = np.sum(g & p & keep, axis=(1, 2)).astype(np.float64)
    union = np.sum((g | p) & keep, axis=(1, 2)).astype(np.float64)
    empty = union == 0
    j = np.ones_like(union)
    j[~empty] = inter[~empty] / union[~empty]
    return j.reshape(np.shape(gt)[:-2])


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary map of a binary mask (DAVIS ``seg2bmap``).

    A pixel is a boundary pixel when its label differs from that of its
    east, south or south-east neighbour. On the last row only the east
    neighbour is compared, on the last column only the south neighbour, and
    the bottom-right pixel is never a boundary. Pixels beyond the image have
    the label 0 (so objects touching the right/bottom border get a boundary
    there, objects touching the left/top border do not).

    Args:
        seg: [H, W] binary mask.

    Returns:
        [H, W] bool boundary map.
    """
    seg = np.asarray(seg).astype(bool)
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def disk(radius: float) -> np.ndarray:
    """Disk structuring element: uint8 [2r+1, 2r+1], 1 where
    dx**2 + dy**2 <= radius**2 (same as ``skimage.morphology.disk``), with
    r = floor(radius)."""
    r = int(math.floor(radius))
    offsets = np.arange(-r, r + 1)
    return (offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2).astype(np.uint8)


def _boundary_f_single(
    gt: np.ndarray, pred: np.ndarray, keep: np.ndarray, bound_th: float
) -> float:
    bound_pix = bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(*gt.shape))
    pred_b = seg2bmap(pred & keep)
    gt_b = seg2bmap(gt & keep)
    kernel = disk(bound_pix)
    pred_dil = cv2.dilate(pred_b.astype(np.uint8), kernel) > 0
    gt_dil = cv2.dilate(gt_b.astype(np.uint8), kernel) > 0
    n_pred = int(pred_b.sum())
    n_gt = int(gt_b.sum())
    if n_pred == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    elif n_pred == 0:
        precision, recall = 1.0, 0.0
    elif n_gt == 0:
        precision, recall = 0.0, 1.0
    else:
        precision = float(np.sum(pred_b & gt_dil)) / n_pred
        recall = float(np.sum(gt_b & pred_dil)) / n_gt
    if precision + recall == 0:
        return 0.0
    return 2.0 * precision * recall / (precision + recall)


def boundary_f_measure(
    gt: np.ndarray, pred: np.ndarray, void: Optional[np.ndarray] = None, bound_th: float = 0.008
) -> np.ndarray:
    """DAVIS contour accuracy F (boundary F-measure) per frame.

    Definition (official davis2017-evaluation conventions):
        * Void pixels are removed from both masks (set to background) before
          extracting boundaries with :func:`seg2bmap`.
        * Tolerance r = ``bound_th`` pixels when ``bound_th >= 1``, otherwise
          r = ceil(bound_th * sqrt(H**2 + W**2)) (0.008 of the diagonal).
        * Boundaries are dilated by :func:`disk` (r); precision = fraction of
          predicted boundary pixels inside the dilated gt boundary, recall =
          fraction of gt boundary pixels inside the dilated predicted
          boundary; F = 2PR / (P + R), F = 0 when P + R = 0.
        * Empty boundaries: both empty -> P = R = 1 (F = 1); only the
          prediction empty -> P = 1, R = 0; only the gt empty -> P = 0, R = 1
          (F = 0 in both cases).

    Args:
        gt: [..., H, W] binary ground-truth masks.
        pred: [..., H, W] binary predicted masks.
        void: optional [..., H, W] void mask (non-zero = void).
        bound_th: tolerance, as a fraction of the diagonal (< 1) or in
            pixels (>= 1).

    Returns:
        float64 array of shape ``gt.shape[:-2]``.
    """
    g, p, keep = _mask_frames(gt, pred, void)
    f = np.array(
        [_boundary_f_single(g[i], p[i], keep[i], bound_th) for i in range(g.shape[0])],
        dtype=np.float64,
    )
    return f.reshape(np.shape(gt)[:-2])


def summary_statistics(
    per_frame_values: Union[Sequence[float], np.ndarray],
) -> Tuple[float, float, float]:
    """DAVIS summary statistics (mean, recall, decay) of a per-frame metric.

    Computed on the values exactly as given: excluding the first and last
    frames of a sequence (as the DAVIS benchmark does) is the caller's job.

    * mean = nanmean(values).
    * recall = mean(values > 0.5) (NaN counts as not recalled, as in the
      official code).
    * decay = nanmean(first bin) - nanmean(last bin) with the official 4-bin
      split: for n values, ids = round(linspace(1, n, 5)) - 1 and bin i =
      values[ids[i] : ids[i + 1] + 1], i.e. the bins include both end ids
      and adjacent bins share one frame. (The official code casts ids to
      uint8, which breaks for n > 256; plain integers are used here, which is
      identical for n <= 256.)

    Args:
        per_frame_values: 1-D sequence of per-frame values (J or F).

    Returns:
        (mean, recall, decay) as floats; NaN for an empty input.
    """
    values = np.asarray(per_frame_values, dtype=np.float64).ravel()
    n = values.size
    if n == 0:
        return float('nan'), float('nan'), float('nan')

    def nanmean(x: np.ndarray) -> float:
        x = x[~np.isnan(x)]
        return float(x.mean()) if x.size else float('nan')

    mean = nanmean(values)
    recall = float(np.mean(values > 0.5))
    ids = (np.round(np.linspace(1, n, 5) + 1e-10) - 1).astype(np.int64)
    first = values[ids[0] : ids[1] + 1]
    last = values[ids[3] : ids[4] + 1]
    decay = nanmean(first) - nanmean(last)
    return mean, recall, decay


# --------------------------------------------------------------------------
# Keypoint PCK (JHMDB, BADJA)
# --------------------------------------------------------------------------
ThresholdArg = Union[float, Sequence[float]]


def pck_correct(
    pred: np.ndarray,
    gt: np.ndarray,
    threshold: float,
    normaliser: Union[float, np.ndarray],
    inclusive: bool = False,
) -> np.ndarray:
    """Per-joint correctness: ||pred - gt||_2 < threshold * normaliser
    (``<=`` with ``inclusive``).

    Args:
        pred, gt: [..., K, 2] keypoint positions (same coordinate order).
        threshold: relative threshold alpha.
        normaliser: scale per frame, broadcastable to ``gt.shape[:-2]``
            (e.g. [T] for [T, K, 2]) or a scalar.
        inclusive: count an error equal to the threshold as correct.

    Returns:
        bool array [..., K].
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape or gt.shape[-1] != 2:
        raise ValueError(f'pred {pred.shape} and gt {gt.shape} must both be [..., K, 2]')
    err = np.linalg.norm(pred - gt, axis=-1)
    norm = np.broadcast_to(np.asarray(normaliser, dtype=np.float64), gt.shape[:-2])
    bound = threshold * norm[..., None]
    return err <= bound if inclusive else err < bound


def pck(
    pred: np.ndarray,
    gt: np.ndarray,
    thresholds: ThresholdArg,
    normaliser: Union[float, np.ndarray],
    visible: Optional[np.ndarray] = None,
    average: str = 'joint',
) -> Union[float, Dict[float, float]]:
    """Percentage of correct keypoints (PCK@alpha).

    A joint is correct when ||pred - gt||_2 < alpha * normaliser, where the
    normaliser is a per-frame scale (see :func:`jhmdb_normaliser`,
    :func:`badja_normaliser`). Only joints with ``visible`` True are
    counted (all joints when ``visible`` is None).

    To evaluate a whole dataset, stack the frames of all videos along the
    leading axes (e.g. [N_frames_total, K, 2]) and call once.

    Args:
        pred, gt: [..., K, 2] keypoints; leading axes are frames (any
            number of them, e.g. [T] or [videos, T]).
        thresholds: a single alpha or a sequence of alphas.
        normaliser: per-frame scale broadcastable to ``gt.shape[:-2]``.
        visible: optional bool [..., K]; False excludes a joint from both the
            numerator and the denominator.
        average: 'joint' -> PCK of every joint over all frames, then the mean
            over joints (joints never visible are skipped; JHMDB
            convention); 'all' -> correct / counted over every (frame,
            joint) pair pooled (BADJA convention).

    Returns:
        a float for a scalar ``thresholds``; otherwise a dict mapping each
        alpha to its PCK (in [0, 1]). NaN when nothing is counted.
    """
    gt = np.asarray(gt)
    if visible is None:
        valid = np.ones(gt.shape[:-1], dtype=bool)
    else:
        valid = np.broadcast_to(np.asarray(visible, dtype=bool), gt.shape[:-1])
    if average not in ('joint', 'all'):
        raise ValueError(f"average must be 'joint' or 'all', got {average!r}")
    scalar = np.ndim(thresholds) == 0
    alphas = [float(thresholds)] if scalar else [float(a) for a in thresholds]
    num_joints = gt.shape[-2]
    valid_k = valid.reshape(-1, num_joints)
    results: Dict[float, float] = {}
    for alpha in alphas:
        correct = pck_correct(pred, gt, alpha, normaliser)
        correct_k = (correct & valid).reshape(-1, num_joints)
        if average == 'all':
            total = valid_k.sum()
            results[alpha] = float(correct_k.sum() / total) if total else float('nan')
        else:
            counts = valid_k.sum(axis=0)
            seen = counts > 0
            if not np.any(seen):
                results[alpha] = float('nan')
            else:
                per_joint = correct_k.sum(axis=0)[seen] / counts[seen]
                results[alpha] = float(np.mean(per_joint))
    return results[alphas[0]] if scalar else results


def jhmdb_normaliser(
    gt: np.ndarray, visible: Optional[np.ndarray] = None, scale: float = 0.6
) -> np.ndarray:
    """JHMDB PCK normaliser: ``scale`` (0.6) x diagonal of the box around a
    frame's ground-truth joints.

    Args:
        gt: [..., K, 2] ground-truth joints.
        visible: optional bool [..., K]; only these joints span the box.
        scale: factor applied to the diagonal (0.6 for JHMDB).

    Returns:
        float64 [...] (one value per frame).
    """
    gt = np.asarray(gt, dtype=np.float64)
    if visible is None:
        lo = gt.min(axis=-2)
        hi = gt.max(axis=-2)
    else:
        vis = np.broadcast_to(np.asarray(visible, dtype=bool), gt.shape[:-1])[..., None]
        lo = np.where(vis, gt, np.inf).min(axis=-2)
        hi = np.where(vis, gt, -np.inf).max(axis=-2)
    return scale * np.linalg.norm(hi - lo, axis=-1)


def badja_normaliser(mask_areas: np.ndarray) -> np.ndarray:
    """BADJA PCK normaliser: sqrt of the area (pixels) of each frame's
    ground-truth segmentation mask. ``mask_areas`` [...] -> float64 [...]."""
    return np.sqrt(np.asarray(mask_areas, dtype=np.float64))


def jhmdb_pck(
    pred: np.ndarray, gt: np.ndarray, thresholds: Sequence[float] = JHMDB_THRESHOLDS
) -> Dict[float, float]:
    """JHMDB PCK@0.1..0.5: all joints (15) counted, threshold
    alpha x 0.6 x diagonal of the frame's gt-joint box, mean over joints of
    the per-joint PCK. pred/gt [..., K, 2] (stack all frames of all videos).
    """
    return pck(pred, gt, thresholds, jhmdb_normaliser(gt), average='joint')


def badja_pck(
    pred: np.ndarray,
    gt: np.ndarray,
    mask_areas: np.ndarray,
    visible: np.ndarray,
    threshold: float = BADJA_THRESHOLD,
) -> float:
    """BADJA PCK@0.2: threshold alpha x sqrt(gt mask area) per frame,
    counted over visible annotated joints only (pooled over frames and
    joints). pred/gt [..., K, 2], mask_areas [...], visible [..., K]."""
    return pck(pred, gt, threshold, badja_normaliser(mask_areas), visible, average='all')
