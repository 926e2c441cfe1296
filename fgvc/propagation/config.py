"""Settings of label propagation, validated when a tracker is built."""
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class PropagationConfig:
    """Label-propagation settings (METHOD.md section 4).

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
        tile: target block size of one affinity matrix product.
    """
    precede_frames: int = 5
    topk: int = 10
    neighbor_range: float = 30
    temperature: float = 0.07
    sigma: float = 6.0
    coord_topk: int = 5
    bidirectional: bool = False
    tile: int = 16

    @classmethod
    def from_dict(cls, options: dict) -> 'PropagationConfig':
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise KeyError(f'Unknown propagation option(s) {unknown}; valid options: {sorted(known)}')
        return cls(**options)
