"""One synthetic video with its exact ground truth, deterministic by seed."""

from dataclasses import dataclass
from typing import Dict, Sequence, Union

import numpy as np

from .config import SceneConfig
from .scene import Scene, make_scene, render
from .tracks import Tracks, sample_tracks

Seed = Union[int, Sequence[int]]


@dataclass
class SyntheticVideo:
    """A rendered scene and its ground truth.

    Attributes:
        video: uint8 [T, H, W, 3] RGB frames.
        layer_ids: uint8 [T, H, W] id of the layer shown at each pixel
            (0 = background, larger = nearer).
        tracks: ground-truth tracks in pixels (pixel-centre convention).
        scene: the scene model (layers, motions) that produced the video.
    """

    video: np.ndarray
    layer_ids: np.ndarray
    tracks: Tracks
    scene: Scene

    def tapvid(self) -> Dict[str, np.ndarray]:
        """TAP-Vid entry: video, points float32 [N, T, 2] (x, y) / (W, H), occluded."""
        size = np.array([self.scene.width, self.scene.height], np.float32)
        return {
            'video': self.video,
            'points': (self.tracks.points / size).astype(np.float32),
            'occluded': self.tracks.occluded.copy(),
        }


def seed_rng(seed: Seed) -> np.random.Generator:
    """A generator for an int seed or a sequence of ints (e.g. (seed, video index))."""
    return np.random.default_rng(np.random.SeedSequence(seed))


def generate_video(cfg: SceneConfig, seed: Seed) -> SyntheticVideo:
    """Draw a scene from ``cfg``, render it and sample its tracks."""
    rng = seed_rng(seed)
    scene = make_scene(cfg, rng)
    return video_from_scene(scene, rng, cfg)


def video_from_scene(scene: Scene, rng: np.random.Generator, cfg: SceneConfig) -> SyntheticVideo:
    """Render a given scene and sample tracks with ``cfg``'s point settings."""
    video, ids = render(scene)
    tracks = sample_tracks(
        scene, ids, rng, cfg.num_points, cfg.late_query_fraction, cfg.foreground_point_fraction
    )
    return SyntheticVideo(video, ids, tracks, scene)
