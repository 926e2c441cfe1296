"""Label propagation shared by every task: points, keypoints and masks."""
from .config import PropagationConfig
from .heatmaps import gaussian_heatmaps, heatmaps_to_points
from .local_attention import neighbourhood_halo, propagate_labels
from .masks import labels_to_mask, one_hot_labels, segment_video
from .occlusion import occlusion_from_peaks
from .points import propagate_from, track_points, track_points_with_peaks

__all__ = ['PropagationConfig', 'gaussian_heatmaps', 'heatmaps_to_points',
           'neighbourhood_halo', 'propagate_labels', 'propagate_from', 'track_points',
           'track_points_with_peaks', 'occlusion_from_peaks', 'one_hot_labels',
           'labels_to_mask', 'segment_video']
