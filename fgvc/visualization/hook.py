"""A test-time hook drawing every video's predictions."""

import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook

from fgvc.registry import HOOKS
from fgvc.utils.paths import flat_name

from .draw import draw_tracks, overlay_masks
from .writers import write_images, write_mp4


@HOOKS.register_module()
class PredictionVisualizationHook(Hook):
    """After each test batch, draw predicted masks (``pred_masks``) or tracks
    (``pred_tracks``, ``pred_occluded``) over the input frames and write
    ``<out_dir>/<video>/%05d.jpg`` and ``<out_dir>/<video>.mp4``.

    Args:
        out_dir: output folder.
        fps: frame rate of the mp4 files.
        radius: disc radius of drawn points, pixels.
        alpha: opacity of mask colours.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str, fps: float = 10.0, radius: int = 3, alpha: float = 0.5):
        self.out_dir = out_dir
        self.fps = fps
        self.radius = radius
        self.alpha = alpha

    def draw(self, video: np.ndarray, sample) -> Optional[np.ndarray]:
        """Frames with the sample's predictions, or None if it has none."""
        if 'pred_masks' in sample:
            return overlay_masks(video, np.asarray(sample.pred_masks), self.alpha)
        if 'pred_tracks' in sample:
            occluded = sample.get('pred_occluded')
            return draw_tracks(
                video,
                np.asarray(sample.pred_tracks),
                None if occluded is None else np.asarray(occluded),
                self.radius,
            )
        return None

    def after_test_iter(
        self, runner, batch_idx: int, data_batch: dict = None, outputs: Optional[Sequence] = None
    ) -> None:
        for video, sample in zip(data_batch['inputs'], outputs):
            frames = self.draw(np.asarray(video.cpu()), sample)
            if frames is None:
                continue
            name = flat_name(sample.video_name, 'video')
            write_images(frames, osp.join(self.out_dir, name))
            write_mp4(frames, osp.join(self.out_dir, f'{name}.mp4'), self.fps)
