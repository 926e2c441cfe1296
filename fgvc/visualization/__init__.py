"""Drawing predictions (tracks, masks) over frames and writing them out."""

from .draw import draw_track_frame, draw_tracks, overlay_masks, track_colours
from .hook import PredictionVisualizationHook
from .writers import Mp4Writer, write_images, write_mp4

__all__ = [
    'draw_track_frame',
    'draw_tracks',
    'overlay_masks',
    'track_colours',
    'PredictionVisualizationHook',
    'Mp4Writer',
    'write_images',
    'write_mp4',
]
