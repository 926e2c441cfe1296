"""Settings of label propagation, validated when a tracker is built."""

from dataclasses import dataclass, fields
from typing import Optional

MODES = ('dense', 'local', 'coarse_to_fine')


@dataclass(frozen=True)
class PropagationConfig:
    """Label-propagation settings (docs/method.md section 4).

    Attributes:
        precede_frames: most recent predicted frames kept in memory besides
            the query (first) frame.
        topk: affinities kept per target pixel over all memory frames.
        neighbor_range: neighbourhood diameter on the feature grid.
        temperature: softmax temperature of cosine affinities.
        sigma: standard deviation of a point's Gaussian label, raster pixels.
        coord_topk: upsampled heatmap pixels averaged into a position.
        bidirectional: also propagate backwards from each query frame, so that
            frames before it get positions. Trackers switch it on by
            themselves where those frames are evaluated ('strided' queries).
        mode: 'local' (default): affinities inside each pixel's
            neighbourhood only, computed tile by tile; 'dense': the original
            algorithm, every target pixel against every memory pixel with a
            dense neighbourhood mask, ``dense_step`` target pixels at a time,
            kept as the reference; 'coarse_to_fine': match on a grid
            ``coarse_factor`` times coarser within ``coarse_range``, then
            refine on the feature grid within ``refine_radius`` of the match.
        tile: target block size of one local affinity product.
        dense_step: target pixels per dense affinity block ('dense' mode;
            the released TAP-Vid configs use 128).
        coarse_factor: cells of the feature grid per coarse cell, per side
            (4 turns stride-2 features into the stride-8 coarse grid).
        coarse_range: neighbourhood diameter of the coarse match, coarse
            cells (8 coarse cells span about the 30-cell neighbourhood of
            the fine grid).
        refine_radius: half side of the square refinement window around the
            coarse match, feature cells (the released code used 12; 6 keeps
            TAP-Vid accuracy within a point of dense at a third of the cost,
            ``tools/benchmark.py``).
        coord_radius: half side, in feature cells, of the window around a
            heatmap's peak in which positions are read ('local' and
            'coarse_to_fine'); a heatmap whose top values might lie outside
            it is read whole, so the result equals reading every map whole.
        max_memory_mb: bound on the features held at once (query frames plus
            the memory window); when the query frames do not all fit, the
            queries are tracked in several passes, re-reading the video.
            None holds every query frame in one pass.
    """

    precede_frames: int = 5
    topk: int = 10
    neighbor_range: float = 30
    temperature: float = 0.07
    sigma: float = 6.0
    coord_topk: int = 5
    bidirectional: bool = False
    mode: str = 'local'
    tile: int = 16
    dense_step: int = 128
    coarse_factor: int = 4
    coarse_range: float = 8
    refine_radius: int = 6
    coord_radius: int = 3
    max_memory_mb: Optional[float] = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f'Unknown propagation mode {self.mode!r}; choose one of {MODES}')

    @classmethod
    def from_dict(cls, options: dict) -> 'PropagationConfig':
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise KeyError(
                f'Unknown propagation option(s) {unknown}; valid options: {sorted(known)}'
            )
        return cls(**options)
