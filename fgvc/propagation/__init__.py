"""Label propagation shared by every task: points, keypoints and masks."""

from .coarse_to_fine import coarse_to_fine_candidates
from .config import MODES, PropagationConfig
from .dense import dense_neighbourhood, propagate_labels_dense
from .engine import propagate
from .heatmaps import gaussian_heatmaps, heatmaps_to_points, peak_window_points
from .local_attention import (
    Candidates,
    local_candidates,
    merge_candidates,
    neighbourhood_halo,
    propagate_labels,
)
from .masks import labels_to_mask, one_hot_labels, segment_video
from .occlusion import occlusion_from_peaks
from .points import track_points, track_points_with_peaks

__all__ = [
    'MODES',
    'PropagationConfig',
    'Candidates',
    'local_candidates',
    'merge_candidates',
    'neighbourhood_halo',
    'propagate_labels',
    'dense_neighbourhood',
    'propagate_labels_dense',
    'coarse_to_fine_candidates',
    'propagate',
    'gaussian_heatmaps',
    'heatmaps_to_points',
    'peak_window_points',
    'track_points',
    'track_points_with_peaks',
    'occlusion_from_peaks',
    'one_hot_labels',
    'labels_to_mask',
    'segment_video',
]
