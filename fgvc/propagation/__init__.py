"""Label propagation shared by every task: points, keypoints and masks."""

from .coarse_to_fine import CoarseToFineMatcher, coarse_to_fine_candidates
from .config import PropagationConfig
from .dense import DenseMatcher, dense_neighbourhood, propagate_labels_dense
from .heatmaps import gaussian_heatmaps, heatmaps_to_points, peak_window_points
from .local_attention import LocalMatcher, local_candidates, propagate_labels
from .masks import segment_video
from .matcher import Candidates, Matcher, check_option
from .memory import ExactMemory, KeyframeMemory, MemoryPolicy
from .occlusion import occluded, occlusion_from_peaks, peaks_at
from .points import PointStep, PointStream, step_points, track_points_with_peaks

__all__ = [
    'Candidates',
    'CoarseToFineMatcher',
    'DenseMatcher',
    'ExactMemory',
    'KeyframeMemory',
    'LocalMatcher',
    'Matcher',
    'MemoryPolicy',
    'PointStep',
    'PointStream',
    'PropagationConfig',
    'check_option',
    'coarse_to_fine_candidates',
    'dense_neighbourhood',
    'gaussian_heatmaps',
    'heatmaps_to_points',
    'local_candidates',
    'occluded',
    'occlusion_from_peaks',
    'peak_window_points',
    'peaks_at',
    'propagate_labels',
    'propagate_labels_dense',
    'segment_video',
    'step_points',
    'track_points_with_peaks',
]
