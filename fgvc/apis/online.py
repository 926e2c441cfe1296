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

from fgvc.propagation import PointStream
from fgvc.propagation.stream import StreamPropagation

from .predictor import Predictor, encoder_size
from .queries import validate_queries


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
        self.state: Optional[PointStream] = None  # the model's stream state, from frame 0
        self.frame_hw: Optional[Tuple[int, int]] = None
        self._next_id = 0
        self._pending_ids: List[int] = []
        self._pending_xy: List[np.ndarray] = []
        self._groups: Dict[int, List[int]] = {}  # query frame -> ids in label-row order

    @property
    def frame_index(self) -> int:
        """Index of the last frame given to :meth:`step` (-1 before the first)."""
        return -1 if self.state is None else self.state.frame

    @property
    def stream(self) -> Optional[StreamPropagation]:
        """The propagation memory of the tracked points (None before the first frame)."""
        return None if self.state is None else self.state.memory

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
        self._check_points(xy, self.frame_hw)
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
                self.state.keep_points(start, torch.as_tensor(rows, dtype=torch.long))
                self._groups[start] = [members[r] for r in rows]
                if not rows:
                    del self._groups[start]

    def _check_points(self, xy: np.ndarray, frame_hw: Optional[Tuple[int, int]]) -> None:
        """:func:`validate_queries` of points queried in the next frame: finite,
        and inside ``frame_hw`` frames once their size is known."""
        if len(xy):
            queries = np.column_stack([np.full(len(xy), self.frame_index + 1), xy])
            validate_queries(queries, None, *(frame_hw or (None, None)))

    @torch.no_grad()
    def step(self, frame: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Track every point into ``frame`` (uint8 ``[H, W, 3]`` RGB).

        Returns ``ids`` ``[N]``, ``xy`` float32 ``[N, 2]`` (x, y) in the
        frame's pixels and ``visible`` bool ``[N]``, in the order of
        :attr:`ids`; points added since the last step are at their query
        positions (as the config's ``query_frame_position`` reports them),
        visible unless the model predicts every point occluded.
        """
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(
                f'a frame must be uint8 [H, W, 3] RGB, got {frame.dtype} {list(frame.shape)}'
            )
        if self.frame_hw is None:
            self._start(frame.shape[:2])
        elif frame.shape[:2] != self.frame_hw:
            raise ValueError(
                f'frame {self.frame_index + 1} is {frame.shape[1]}x{frame.shape[0]}, '
                f'the stream started at {self.frame_hw[1]}x{self.frame_hw[0]}'
            )
        normalized = self.model.data_preprocessor.normalize(
            torch.from_numpy(frame), self.state.raster_hw
        )
        new_points = None
        if self._pending_ids:
            xy = np.concatenate(self._pending_xy) * self.scale
            new_points = torch.as_tensor(xy, dtype=torch.float32, device=self.device)
            self._groups[self.frame_index + 1] = self._pending_ids
            self._pending_ids, self._pending_xy = [], []
        groups = self.model.step(self.state, normalized, new_points)
        if not groups:
            return np.zeros(0, np.int64), np.zeros((0, 2), np.float32), np.zeros(0, bool)
        ids = [i for group in groups for i in self._groups[group.key]]
        xy = torch.cat([group.xy for group in groups]).cpu().numpy() / self.scale
        visible = torch.cat([group.visible for group in groups]).cpu().numpy()
        return np.array(ids, np.int64), xy.astype(np.float32), visible

    def _start(self, frame_hw: Tuple[int, int]) -> None:
        """Size the encoder input for ``frame_hw`` frames and start the stream."""
        self._check_points(np.concatenate(self._pending_xy or [np.zeros((0, 2))]), frame_hw)
        self.frame_hw = frame_hw
        input_hw = encoder_size(*frame_hw, self.short_side)
        # (x, y) scale from the stream's pixels to the encoder raster
        self.scale = np.array([input_hw[1] / frame_hw[1], input_hw[0] / frame_hw[0]])
        self.state = self.model.start_stream(input_hw)
