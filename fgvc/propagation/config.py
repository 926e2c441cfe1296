"""Settings of label propagation, validated when a tracker is built."""

from dataclasses import dataclass, field, fields
from typing import Optional

from fgvc.registry import MATCHERS

from .local_attention import LocalMatcher
from .matcher import Matcher, check_option

OWNER = 'propagation'


@dataclass(frozen=True)
class PropagationConfig:
    """Label-propagation settings (docs/method.md section 4).

    Attributes:
        precede_frames: most recent predicted frames kept in memory besides
            the query (first) frame.
        topk: affinities kept per target pixel over all memory frames.
        temperature: softmax temperature of cosine affinities.
        sigma: standard deviation of a point's Gaussian label, raster pixels.
        coord_topk: upsampled heatmap pixels averaged into a position.
        bidirectional: also propagate backwards from each query frame, so that
            frames before it get positions. Trackers switch it on by
            themselves where those frames are evaluated ('strided' queries).
        coord_radius: half side, in feature cells, of the window around a
            heatmap's peak in which positions are read; a heatmap whose top
            values might lie outside it is read whole, so the result equals
            reading every map whole.
        max_memory_mb: bound on the features held at once (query frames plus
            the memory window); when the query frames do not all fit, the
            queries are tracked in several passes, re-reading the video.
            None holds every query frame in one pass.
        matcher: how target pixels find their matches in a memory frame, a
            registered :class:`fgvc.propagation.Matcher`: ``LocalMatcher``
            (default: the neighbourhood only, tile by tile), ``DenseMatcher``
            (the original algorithm, kept as the reference) or
            ``CoarseToFineMatcher``. In a config, a dict such as
            ``dict(type='LocalMatcher', neighbor_range=30)``.
    """

    precede_frames: int = 5
    topk: int = 10
    temperature: float = 0.07
    sigma: float = 6.0
    coord_topk: int = 5
    bidirectional: bool = False
    coord_radius: int = 3
    max_memory_mb: Optional[float] = None
    matcher: Matcher = field(default_factory=LocalMatcher)

    def __post_init__(self):
        check_option(OWNER, 'precede_frames', self.precede_frames, 'int', 0)
        check_option(OWNER, 'topk', self.topk, 'int', 1)
        check_option(OWNER, 'temperature', self.temperature, 'number', 0, strict=True)
        check_option(OWNER, 'sigma', self.sigma, 'number', 0, strict=True)
        check_option(OWNER, 'coord_topk', self.coord_topk, 'int', 1)
        check_option(OWNER, 'bidirectional', self.bidirectional, 'bool')
        check_option(OWNER, 'coord_radius', self.coord_radius, 'int', 0)
        if self.max_memory_mb is not None:
            check_option(OWNER, 'max_memory_mb', self.max_memory_mb, 'number', 0, strict=True)
        if not isinstance(self.matcher, Matcher):
            raise TypeError(
                f'propagation option matcher must be a Matcher (or, in a config, a dict '
                f'naming a registered one), got {self.matcher!r}'
            )

    @classmethod
    def from_dict(cls, options: dict) -> 'PropagationConfig':
        """Settings from config options; ``matcher`` may be a config dict."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise KeyError(
                f'Unknown propagation option(s) {unknown}; valid options: {sorted(known)} '
                '(options of a matcher go in matcher=dict(type=..., ...))'
            )
        options = dict(options)
        if isinstance(options.get('matcher'), dict):
            options['matcher'] = MATCHERS.build(options['matcher'])
        return cls(**options)
