"""Adaptation to the query points: the clip's own tracks as labels.

A video tracked from query points gives each point's position on its query
frame. :func:`tracked_cells` follows every point through the clip with the
unadapted encoder: a disc of cells around each point (:func:`disc_labels`)
is propagated to the next frame through the window affinities, as label
propagation reads them, and the point moves to the centre of the disc that
holds the most of what was propagated (forward from its query frame,
backward before it).
:func:`tracked_points_loss` then teaches the encoder those tracks between
real frames a few frames apart: the discs of one frame, propagated to the
other, must land on that frame's discs (cross-entropy over every cell, the
cells outside all discs being one background class), with an anchor
(:func:`fgvc.engine.window.affinity_anchor`) that keeps the affinities near
the unadapted encoder's. With ``query_warps``, the frame most queries are on
is also learnt as a mask is (:func:`fgvc.engine.annotation.annotation_loss`):
its query discs (:func:`query_discs`) propagated to random warps of it must
land where the warps moved them. Only the queries and the frames are read,
never a label of a later frame. docs/model_zoo.md has what was measured.
"""

import math
from typing import Callable, Mapping, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .window import affinity_anchor, label_cross_entropy, propagate_in_window

__all__ = [
    'POINTS_KEYS',
    'QUERY_WARPS_KEYS',
    'disc_labels',
    'query_discs',
    'tracked_cells',
    'tracked_points_loss',
]

#: What ``adaptation.points`` must hold when it is not None.
POINTS_KEYS = (
    'lr',
    'radius',
    'temperature',
    'disc_radius',
    'batch_size',
    'frame_gaps',
    'anchor',
    'query_warps',
)
#: What ``adaptation.points.query_warps`` must hold when it is not None.
QUERY_WARPS_KEYS = ('weight', 'max_warp', 'jitter')


def disc_labels(cells: Tensor, size: Sequence[int], radius: float) -> Tensor:
    """``[1 + N, h, w]`` labels of N points at integer cells ``[N, 2]`` (row,
    column): channel 1 + n is 1 on the cells within ``radius`` cells of
    point n (shared equally where discs overlap), channel 0 is the rest."""
    rows = torch.arange(size[0], device=cells.device)[None, :, None]
    cols = torch.arange(size[1], device=cells.device)[None, None, :]
    dist2 = (rows - cells[:, 0, None, None]) ** 2 + (cols - cells[:, 1, None, None]) ** 2
    discs = (dist2 <= radius**2).float()
    discs = discs / discs.sum(dim=0, keepdim=True).clamp_min(1.0)
    return torch.cat([(1.0 - discs.sum(dim=0, keepdim=True)).clamp_min(0.0), discs])


def _disc_centres(spread: Tensor, radius: float) -> Tensor:
    """``[N, 2]`` integer cells: for each map of ``spread`` ``[N, h, w]``, the
    centre of the disc of ``radius`` cells holding the most of it (a matched
    filter: a disc carried whole, a flat plateau, is found at its centre,
    where a plain argmax could pick any of its cells)."""
    reach = int(math.floor(radius))
    offsets = torch.arange(-reach, reach + 1, device=spread.device)
    kernel = (offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius**2).to(spread)
    held = F.conv2d(spread[:, None], kernel[None, None], padding=reach)[:, 0]
    best = held.flatten(1).argmax(dim=1)
    return torch.stack([best // held.shape[-1], best % held.shape[-1]], dim=1)


def query_discs(queries: Tensor, frame_hw: Sequence[int], radius: float) -> Tuple[int, Tensor]:
    """The frame most queries are on and the :func:`disc_labels` of its
    queries ``[1 + M, H, W]`` at the pixels of ``frame_hw`` (``queries``
    ``[N, 3]`` (t, y, x) in those pixels)."""
    frames = queries[:, 0].round().long()
    frame = int(torch.mode(frames).values)
    here = queries[frames == frame, 1:].floor().long()
    here = torch.minimum(here.clamp_min(0), torch.tensor(frame_hw) - 1)
    return frame, disc_labels(here, frame_hw, radius)


@torch.no_grad()
def tracked_cells(
    encoder: nn.Module,
    frame_at: Callable[[int], Tensor],
    num_frames: int,
    queries: Tensor,
    cfg: Mapping,
) -> Tensor:
    """``[T, N, 2]`` integer cells (row, column) of each query point in every
    frame, followed by ``encoder`` (see the module docstring).

    Args:
        encoder: The unadapted encoder (its last output is the feature map).
        frame_at: Frame t ``[3, H, W]``, normalised, at the tracking resolution.
        num_frames: T.
        queries: ``[N, 3]`` (t, y, x), positions in the pixels of ``frame_at``.
        cfg: ``adaptation.points``: ``radius`` and ``temperature`` of the
            window affinities, ``disc_radius`` in pixels.
    """
    query_frames = queries[:, 0].round().long()
    cells = torch.zeros(num_frames, len(queries), 2, dtype=torch.long)
    forward = range(int(query_frames.min()), num_frames)
    backward = range(int(query_frames.max()), -1, -1)
    for order, passed in ((forward, query_frames.lt), (backward, query_frames.gt)):
        previous, current = None, torch.zeros(len(queries), 2, dtype=torch.long)
        for t in order:
            frame = frame_at(t)
            features = F.normalize(encoder(frame[None])[-1], dim=1)
            size = features.shape[-2:]
            scale = torch.tensor([size[0] / frame.shape[-2], size[1] / frame.shape[-1]])
            radius = cfg['disc_radius'] * float(scale[0])
            moving = passed(t)
            if previous is not None and moving.any():
                labels = disc_labels(current[moving], size, radius)[None].to(features)
                spread = propagate_in_window(
                    previous, features, labels, cfg['radius'], cfg['temperature']
                )[0, 1:]
                current[moving] = _disc_centres(spread, radius).cpu()
            here = query_frames == t
            if here.any():
                start = (queries[here, 1:].cpu() * scale).floor().long()
                current[here] = torch.minimum(start.clamp_min(0), torch.tensor(size) - 1)
            cells[t, moving | here] = current[moving | here]
            previous = features
    return cells


def tracked_points_loss(
    backbone: nn.Module,
    frame_at: Callable[[int], Tensor],
    cells: Tensor,
    cfg: Mapping,
    rng: np.random.Generator,
    frozen: nn.Module,
) -> Tensor:
    """Cross-entropy of the discs of ``cfg['batch_size']`` frames propagated
    to frames a gap in ``cfg['frame_gaps']`` away (either direction) against
    those frames' own discs (``cells`` from :func:`tracked_cells`), plus
    ``cfg['anchor']`` times the affinity anchor against ``frozen``."""
    num_frames = len(cells)
    low, high = cfg['frame_gaps']
    sources, targets = [], []
    for _ in range(cfg['batch_size']):
        gap = min(int(rng.integers(low, high + 1)), num_frames - 1)
        first = int(rng.integers(0, num_frames - gap))
        pair = (first, first + gap) if rng.random() < 0.5 else (first + gap, first)
        sources.append(pair[0])
        targets.append(pair[1])
    inputs = torch.stack([frame_at(t) for t in sources + targets])
    features = backbone(inputs)[-1]
    count, size = len(sources), features.shape[-2:]
    radius = cfg['disc_radius'] * size[0] / inputs.shape[-2]
    labels = torch.stack([disc_labels(cells[t], size, radius) for t in sources + targets])
    labels = labels.to(features)
    unit = F.normalize(features, dim=1)
    propagated = propagate_in_window(
        unit[:count], unit[count:], labels[:count], cfg['radius'], cfg['temperature']
    )
    loss = label_cross_entropy(propagated, labels[count:]).mean()
    if cfg['anchor']:
        with torch.no_grad():
            reference = frozen(inputs)[-1]
        loss = loss + cfg['anchor'] * affinity_anchor(
            (features[:count], features[count:]),
            (reference[:count], reference[count:]),
            cfg['radius'],
            cfg['temperature'],
        )
    return loss
