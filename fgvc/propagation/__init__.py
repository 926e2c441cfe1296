"""Label propagation shared by every task: points, keypoints and masks."""
from .config import PropagationConfig
from .heatmaps import gaussian_heatmaps, heatmaps_to_points
from .local_attention import neighbourhood_halo, propagate_labels
from .points import propagate_from, track_points

__all__ = ['PropagationConfig', 'gaussian_heatmaps', 'heatmaps_to_points',
           'neighbourhood_halo', 'propagate_labels', 'propagate_from', 'track_points']
