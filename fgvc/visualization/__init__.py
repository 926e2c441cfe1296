"""Drawing predictions (tracks, masks) over frames and writing them out."""
from .draw import draw_tracks, overlay_masks, track_colours
from .hook import PredictionVisualizationHook
from .writers import write_images, write_mp4

__all__ = ['draw_tracks', 'overlay_masks', 'track_colours', 'PredictionVisualizationHook',
           'write_images', 'write_mp4']
