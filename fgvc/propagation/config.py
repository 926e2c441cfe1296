"""Settings of label propagation, validated when a tracker is built."""

from dataclasses import dataclass, field, fields
from typing import Optional

from fgvc.registry import MATCHERS, MEMORIES

from .heatmaps import CELL_POSITIONS
from .local_attention import LocalMatcher
from .matcher import Matcher, check_choice, check_option
from .memory import ExactMemory, MemoryPolicy

OWNER = 'propagation'
#: The position a tracker reports at a point's query frame.
QUERY_FRAME_POSITIONS = ('query', 'gaussian', 'seed')
#: On which grid a point's Gaussian may be snapped (see :func:`gaussian_heatmaps`).
LABEL_SNAPS = ('pixel', 'cell')


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
        memory: which frame stands for a group's seed (query) frame in its
            memory, a registered :class:`fgvc.propagation.MemoryPolicy`:
            ``ExactMemory`` (default: the seed frame, for good) or
            ``KeyframeMemory`` (a shared keyframe once the group is
            ``horizon`` frames on; bounded work for many query frames). In a
            config, e.g. ``dict(type='KeyframeMemory', horizon=15, interval=5)``.

    The options below reproduce, one at a time, the choices of the authors'
    release (``vanilla_tracker.py`` of qianduoduolr/FGVC) where they differ
    from this project's defaults (docs/protocols.md):

        seed_in_window: the seed (query) frame also counts as one of the
            ``precede_frames`` recent frames, so the ``precede_frames``
            frames after it match it twice (release: memory = query frame +
            ``frames[max(0, n - precede_frames):n]``). Default False: the
            seed frame once, plus the frames predicted last.
        label_grid: where a point's Gaussian is evaluated on the feature
            grid (:func:`fgvc.propagation.gaussian_heatmaps`): 'cell_centre'
            (default: the raster position ``(j + 0.5) * stride`` of the
            centre of feature cell j), 'pixel_index' (release, TAP-Vid: the
            raster pixel index ``j * stride``) or 'cell_centre_index' (the
            cell's centre in pixel-index coordinates, where the release's
            JHMDB labels, drawn on the frame's pixels, land once resized).
        label_snap: None (default) or the grid the release's
            ``draw_label_map`` draws JHMDB ('pixel') and BADJA ('cell')
            labels on: each point moves to ``trunc(p - 3 sigma) + 3 sigma``
            in that grid's units and its Gaussian is cut to the square of
            radius ``3 sigma`` around it.
        position_offset: added to the raster pixel index of each read-out
            pixel: 0.5 (default) reads pixel centres (pixel i covers
            ``[i, i + 1)``), 0 reads pixel indices as the release does.
        query_frame_position: what is reported at a point's query frame:
            'query' (default: the query itself), 'gaussian' (release, TAP-Vid
            and JHMDB: the read-out of its Gaussian drawn at every raster
            pixel) or 'seed' (release, BADJA: the read-out of its label on the
            feature grid, as in every later frame).
        empty_position: where a label map that is zero everywhere is read;
            None (default) takes the plain mean of its ``coord_topk`` first
            pixels, -1 gives (-1, -1) as the release does.
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
    memory: MemoryPolicy = field(default_factory=ExactMemory)
    seed_in_window: bool = False
    label_grid: str = 'cell_centre'
    label_snap: Optional[str] = None
    position_offset: float = 0.5
    query_frame_position: str = 'query'
    empty_position: Optional[float] = None

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
        check_option(OWNER, 'seed_in_window', self.seed_in_window, 'bool')
        check_choice(OWNER, 'label_grid', self.label_grid, tuple(CELL_POSITIONS))
        if self.label_snap is not None:
            check_choice(OWNER, 'label_snap', self.label_snap, LABEL_SNAPS)
        check_option(OWNER, 'position_offset', self.position_offset, 'number')
        check_choice(
            OWNER, 'query_frame_position', self.query_frame_position, QUERY_FRAME_POSITIONS
        )
        if self.empty_position is not None:
            check_option(OWNER, 'empty_position', self.empty_position, 'number')
        if not isinstance(self.matcher, Matcher):
            raise TypeError(
                f'propagation option matcher must be a Matcher (or, in a config, a dict '
                f'naming a registered one), got {self.matcher!r}'
            )
        if not isinstance(self.memory, MemoryPolicy):
            raise TypeError(
                f'propagation option memory must be a MemoryPolicy (or, in a config, a dict '
                f'naming a registered one), got {self.memory!r}'
            )
        self.memory.check(self.precede_frames)

    @classmethod
    def from_dict(cls, options: dict) -> 'PropagationConfig':
        """Settings from config options; ``matcher`` and ``memory`` may be config dicts."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise KeyError(
                f'Unknown propagation option(s) {unknown}; valid options: {sorted(known)} '
                '(options of a matcher go in matcher=dict(type=..., ...), of a memory policy '
                'in memory=dict(type=..., ...))'
            )
        options = dict(options)
        if isinstance(options.get('matcher'), dict):
            options['matcher'] = MATCHERS.build(options['matcher'])
        if isinstance(options.get('memory'), dict):
            options['memory'] = MEMORIES.build(options['memory'])
        return cls(**options)
