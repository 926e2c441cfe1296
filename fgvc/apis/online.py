"""Track points through a live stream, frame by frame.

:class:`OnlineTracker` takes frames one at a time (from a camera, a network
stream, a file being read) and returns where every tracked point is in each.
Points can be added and removed between frames; a point added before a frame
is queried in it and tracked forward from there. Only the propagation window
is held (the features of the frames points were added in, and of the last
``precede_frames`` frames), so memory does not grow with the stream's length.
Its tracks equal the :class:`Predictor`'s for the same queries in the frames
from each query on.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from fgvc.propagation import gaussian_heatmaps, occlusion_from_peaks, peak_window_points
from fgvc.propagation.stream import StreamPropagation

from .predictor import Predictor, encoder_size


class OnlineTracker:
    """Points tracked through frames given one at a time.

    Args:
        predictor: gives the model (config, checkpoint, device, ONNX encoder)
            and the encoder input size (``short_side``).
        task: the config task whose settings are used (default: the
            predictor's point task).

    Example::

        tracker = OnlineTracker(Predictor(checkpoint=CKPT))
        tracker.add_points([[120.5, 80.5], [30.0, 40.0]])
        for frame in frames:  # uint8 [H, W, 3] RGB
            ids, xy, visible = tracker.step(frame)
    """

    def __init__(self, predictor: Predictor, task: Optional[str] = None):
        self.model = predictor.model(task or predictor.point_task)
        self.device = predictor.device
        self.short_side = predictor.short_side
        self.cfg = self.model.propagation
        self.stream = StreamPropagation(self.cfg)
        self.frame_index = -1  # index of the last frame given to step()
        self.frame_hw: Optional[Tuple[int, int]] = None
        self._next_id = 0
        self._pending_ids: List[int] = []
        self._pending_xy: List[np.ndarray] = []
        self._groups: Dict[int, List[int]] = {}  # query frame -> ids in label-row order
        self._query_peak: Dict[int, float] = {}  # id -> peak of its label at its query frame

    @property
    def ids(self) -> List[int]:
        """Ids of the points tracked (in the order they were added), pending ones included."""
        return [i for ids in self._groups.values() for i in ids] + self._pending_ids

    def add_points(self, xy, ids: Optional[Sequence[int]] = None) -> List[int]:
        """Track points ``[N, 2]`` (x, y) from the next frame given to
        :meth:`step`, in the stream's pixels (top-left pixel centre at
        (0.5, 0.5)). ``ids`` (default: new integers) must not be in use.
        Returns the points' ids."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        if not np.isfinite(xy).all():
            raise ValueError('point coordinates must be finite numbers')
        if self.frame_hw is not None:
            self._check_inside(xy)
        if ids is None:
            ids = list(range(self._next_id, self._next_id + len(xy)))
        ids = [int(i) for i in ids]
        if len(ids) != len(xy):
            raise ValueError(f'{len(ids)} ids for {len(xy)} points')
        taken = set(self.ids)
        clash = sorted({i for i in ids if i in taken} | {i for i in ids if ids.count(i) > 1})
        if clash:
            raise ValueError(f'point ids already in use or repeated: {clash}')
        self._next_id = max([self._next_id - 1, *ids]) + 1
        self._pending_ids += ids
        self._pending_xy.append(xy)
        return ids

    def remove_points(self, ids: Sequence[int]) -> None:
        """Stop tracking the points ``ids``; the others are not affected."""
        ids = {int(i) for i in ids}
        unknown = sorted(ids - set(self.ids))
        if unknown:
            raise KeyError(f'no tracked points with ids {unknown}')
        keep = [i not in ids for i in self._pending_ids]
        self._pending_xy = [np.concatenate(self._pending_xy)[keep]] if self._pending_ids else []
        self._pending_ids = [i for i, k in zip(self._pending_ids, keep) if k]
        for start, members in list(self._groups.items()):
            rows = [r for r, i in enumerate(members) if i not in ids]
            if len(rows) < len(members):
                self.stream.keep_labels(start, torch.as_tensor(rows, dtype=torch.long))
                self._groups[start] = [members[r] for r in rows]
                if not rows:
                    del self._groups[start]
        for i in ids:
            self._query_peak.pop(i, None)

    def _check_inside(self, xy: np.ndarray) -> None:
        height, width = self.frame_hw
        outside = (xy[:, 0] < 0) | (xy[:, 0] > width) | (xy[:, 1] < 0) | (xy[:, 1] > height)
        if outside.any():
            raise ValueError(
                f'points {xy[outside].tolist()} lie outside the {width}x{height} frames'
            )

    @torch.no_grad()
    def step(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Track every point into ``frame`` (uint8 ``[H, W, 3]`` RGB).

        Returns ``ids`` ``[N]``, ``xy`` float32 ``[N, 2]`` (x, y) in the
        frame's pixels and ``visible`` bool ``[N]``, in the order of
        :attr:`ids`; points added since the last step are at their query
        positions, visible.
        """
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(
                f'a frame must be uint8 [H, W, 3] RGB, got {frame.dtype} {list(frame.shape)}'
            )
        if self.frame_hw is None:
            self.frame_hw = frame.shape[:2]
            self._setup()
            self._check_inside(np.concatenate(self._pending_xy or [np.zeros((0, 2))]))
        elif frame.shape[:2] != self.frame_hw:
            raise ValueError(
                f'frame {self.frame_index + 1} is {frame.shape[1]}x{frame.shape[0]}, '
                f'the stream started at {self.frame_hw[1]}x{self.frame_hw[0]}'
            )
        self.frame_index += 1
        t = self.frame_index
        preprocessor = self.model.data_preprocessor
        preprocessor.input_size = self.input_hw
        features = self.model.encode(preprocessor.normalize(torch.from_numpy(frame[None])))[0]
        seeds, seed_xy = self._seed(t, features) if self._pending_ids else ({}, None)
        ids, xy, peaks = [], [], []
        for start, labels in self.stream.step(t, features, seeds):
            xy.append(
                peak_window_points(
                    labels, self.input_hw, self.cfg.coord_topk, self.cfg.coord_radius
                )
            )
            peaks.append(labels.flatten(1).amax(1))
            ids += self._groups[start]
        if seeds:
            xy.append(seed_xy)
            peaks.append(seeds[t].flatten(1).amax(1))
            ids += self._groups[t]
        if not ids:
            return np.zeros(0, np.int64), np.zeros((0, 2), np.float32), np.zeros(0, bool)
        xy = torch.cat(xy).cpu().numpy() / self.scale
        peaks = torch.cat(peaks).cpu()
        query_peaks = torch.tensor([self._query_peak[i] for i in ids], dtype=peaks.dtype)
        if self.model.occlusion_threshold is None:
            visible = np.ones(len(ids), bool)
        else:
            occluded = occlusion_from_peaks(
                torch.stack([query_peaks, peaks], 1),
                torch.zeros(len(ids), dtype=torch.long),
                self.model.occlusion_threshold,
            )
            visible = ~occluded[:, 1].numpy()
        return np.array(ids, np.int64), xy.astype(np.float32), visible

    def _setup(self) -> None:
        height, width = self.frame_hw
        self.input_hw = encoder_size(height, width, self.short_side)
        # (x, y) scale from the stream's pixels to the encoder raster
        self.scale = np.array([self.input_hw[1] / width, self.input_hw[0] / height])

    def _seed(self, t: int, features: torch.Tensor) -> Tuple[Dict[int, torch.Tensor], torch.Tensor]:
        """The pending points as a group of label maps seeded at frame ``t``,
        and their (x, y) in the encoder raster."""
        xy = np.concatenate(self._pending_xy)
        raster_xy = torch.as_tensor(xy * self.scale, dtype=torch.float32, device=self.device)
        h, w = features.shape[-2:]
        stride_xy = (self.input_hw[1] / w, self.input_hw[0] / h)
        seed = gaussian_heatmaps(raster_xy.to(features), (h, w), stride_xy, self.cfg.sigma)
        self._query_peak.update(zip(self._pending_ids, seed.flatten(1).amax(1).tolist()))
        self._groups[t] = self._pending_ids
        self._pending_ids, self._pending_xy = [], []
        return {t: seed}, raster_xy
