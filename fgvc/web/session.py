"""What the web demo's page asks for, done by the :class:`~fgvc.apis.Predictor`
and the demo's output writers: generated sample clips, points clicked on the
first frame, and tracking or mask propagation runs whose videos and files the
page shows. No web library is imported here (see :mod:`fgvc.web.app`)."""

import os
import os.path as osp
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from fgvc.apis import Predictor
from fgvc.apis.predictor import DEFAULT_CONFIG, DEFAULT_SHORT_SIDE
from fgvc.apis.progress import ProgressCallback
from fgvc.apis.queries import parse_queries, queries_in_video
from fgvc.apis.weights import DEFAULT_WEIGHTS
from fgvc.datasets.synthetic import generate_video, get_preset
from fgvc.datasets.synthetic.writers.davis import object_labels
from fgvc.fileio import read_index_png, write_palette_png
from fgvc.fileio.video_reader import VideoReader, open_video
from fgvc.outputs.batch import video_name
from fgvc.outputs.files import (
    DEFAULT_ALPHA,
    DEFAULT_RADIUS,
    DEFAULT_TRAIL,
    MASKS_DIR,
    OVERLAY_MP4,
    TRACKS_CSV,
    TRACKS_MP4,
    TRACKS_NPZ,
    staged_output_dir,
    track_into,
    write_mask_outputs,
)
from fgvc.visualization import draw_track_frame, track_colours, write_mp4

#: The matchers offered, the config's first.
MATCHERS = ('LocalMatcher', 'CoarseToFineMatcher', 'DenseMatcher')
#: Generated samples: a synthetic preset's video domain (``fgvc.datasets.synthetic``).
SAMPLE_PRESETS = ('tiny', 'quickstart', 'full')
SAMPLE_FPS = 10.0
#: Points clicked on the first frame are queried there.
CLICK_FRAME = 0
#: A pixel index (column, row) has its centre half a pixel further (pixel i covers [i, i + 1)).
PIXEL_CENTRE = 0.5
#: The first frame is shown enlarged by a whole factor until its long side
#: nears this many pixels, so that points can be clicked on small clips.
DISPLAY_SIZE = 360


@dataclass
class RunResult:
    """One finished run: the video to watch, the files to download, a summary."""

    video: str
    files: List[str]
    summary: str


def display_scale(height: int, width: int) -> int:
    """The whole factor the first frame is enlarged by on the page."""
    return max(1, DISPLAY_SIZE // max(height, width))


def add_click(points: str, x: int, y: int, scale: int = 1) -> str:
    """The points spec (``"t,x,y;t,x,y"``, as ``--queries`` takes) with the
    centre of the first frame's pixel under a click at ``(x, y)`` of its view
    enlarged ``scale`` times added."""
    column, row = x // scale, y // scale
    point = f'{CLICK_FRAME},{column + PIXEL_CENTRE:g},{row + PIXEL_CENTRE:g}'
    return f'{points};{point}' if points.strip() else point


def draw_points(frame: np.ndarray, points: str) -> np.ndarray:
    """The first frame with the points of ``points`` that are queried there,
    drawn in the colours the tracks will have."""
    if not points.strip():
        return frame
    queries = parse_queries(points, *frame.shape[:2])
    colours = track_colours(len(queries))
    here = queries[:, 0] == CLICK_FRAME
    xy = queries[here, None, 1:]
    return draw_track_frame(frame, xy, None, 0, colours[here], DEFAULT_RADIUS)


def frame_view(frame: np.ndarray, points: str) -> np.ndarray:
    """What the page shows to click on: :func:`draw_points`, enlarged by
    :func:`display_scale` (nearest neighbour: each pixel a square)."""
    scale = display_scale(*frame.shape[:2])
    drawn = draw_points(frame, points)
    return np.repeat(np.repeat(drawn, scale, axis=0), scale, axis=1)


def first_frame(video: str) -> np.ndarray:
    """Frame 0 of a video file or folder of frames, uint8 RGB."""
    return open_video(video).read(0, 1)[0]


def weights_description(predictor: Predictor) -> str:
    """Which weights a run uses, in one line for the page."""
    if predictor.untrained:
        return 'none: the encoder is UNTRAINED (random weights), so results will be poor'
    return predictor.weights.description


class WebDemo:
    """Runs for the web page, each into a fresh folder under ``work_dir``.

    One :class:`Predictor` is built per matcher and adaptation setting and
    kept; runs use them one at a time (the page queues them).

    Args:
        config: config with a ``tasks`` dict (like ``configs/eval/res18_d1_eval.py``).
        checkpoint: encoder weights (see :mod:`fgvc.apis.weights`); by
            default the shipped model.
        device: 'auto', 'cpu', 'cuda', ...
        short_side: encoder input short side.
        work_dir: where samples and run outputs go (default: a new temporary folder).
        trust_checkpoint: see :class:`Predictor`.
        predictor_options: more :class:`Predictor` arguments (``cfg_options``,
            ``encoder_onnx``, ...).
    """

    def __init__(
        self,
        config: str = DEFAULT_CONFIG,
        checkpoint: Optional[str] = DEFAULT_WEIGHTS,
        device: str = 'auto',
        short_side: Optional[int] = DEFAULT_SHORT_SIDE,
        work_dir: Optional[str] = None,
        trust_checkpoint: bool = False,
        **predictor_options,
    ):
        self.settings = dict(
            config=config,
            checkpoint=checkpoint,
            device=device,
            short_side=short_side,
            trust_checkpoint=trust_checkpoint,
            warn_untrained=False,
            **predictor_options,
        )
        self.work_dir = work_dir or tempfile.mkdtemp(prefix='fgvc-web-')
        os.makedirs(self.work_dir, exist_ok=True)
        self._predictors: Dict[Tuple[str, Optional[int]], Predictor] = {}
        self.weights = weights_description(self.predictor(MATCHERS[0], None))

    def predictor(self, matcher: str, adapt_steps: Optional[int]) -> Predictor:
        """The Predictor of a matcher and an adaptation step count (None:
        the config's default for the kind of video), built once."""
        if matcher not in MATCHERS:
            raise ValueError(f'Unknown matcher {matcher!r}: choose one of {list(MATCHERS)}')
        key = (matcher, None if adapt_steps is None else int(adapt_steps))
        if key not in self._predictors:
            self._predictors[key] = Predictor(**self.settings, matcher=matcher, adapt_steps=key[1])
        return self._predictors[key]

    def sample(self, preset: str, seed: int) -> Tuple[str, str]:
        """A generated clip of a synthetic preset as an mp4, and its
        first-frame object mask as a palette PNG; returns both paths."""
        if preset not in SAMPLE_PRESETS:
            raise ValueError(f'Unknown sample {preset!r}: choose one of {list(SAMPLE_PRESETS)}')
        clip = generate_video(get_preset(preset).video_scene, int(seed))
        folder = osp.join(self.work_dir, 'samples')
        video = osp.join(folder, f'sample-{preset}-{int(seed)}.mp4')
        mask = osp.join(folder, f'sample-{preset}-{int(seed)}-mask.png')
        write_mp4(clip.video, video, SAMPLE_FPS)
        write_palette_png(mask, object_labels(clip.layer_ids)[0])
        return video, mask

    def _run_dir(self, video: str) -> str:
        """A new empty folder for one run's outputs."""
        runs = osp.join(self.work_dir, 'runs')
        os.makedirs(runs, exist_ok=True)
        return tempfile.mkdtemp(prefix=f'{video_name(video)}-', dir=runs)

    def track(
        self,
        video: str,
        points: str,
        matcher: str = MATCHERS[0],
        adapt_steps: Optional[int] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> RunResult:
        """Track the points of ``points`` (``"t,x,y;..."``, pixels) through ``video``."""
        if not points.strip():
            raise ValueError('No points: click on the first frame, or type t,x,y;t,x,y')
        reader = open_video(video)
        queries = queries_in_video(points, reader)
        predictor = self._ready(matcher, adapt_steps, on_progress)
        start = time.perf_counter()
        out = self._run_dir(video)
        with staged_output_dir(out) as staging:
            _, visibility = track_into(
                staging,
                predictor,
                reader,
                queries,
                reader.fps,
                DEFAULT_RADIUS,
                DEFAULT_TRAIL,
                on_progress=on_progress,
            )
        what = f'tracked {len(queries)} points ({visibility.mean():.0%} visible)'
        return RunResult(
            video=osp.join(out, TRACKS_MP4),
            files=[osp.join(out, TRACKS_CSV), osp.join(out, TRACKS_NPZ)],
            summary=self._summary(what, reader, predictor, matcher, 'points', start),
        )

    def propagate(
        self,
        video: str,
        mask: str,
        matcher: str = MATCHERS[0],
        adapt_steps: Optional[int] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> RunResult:
        """Propagate the first-frame mask PNG ``mask`` (object ids, or grey
        0/255) through ``video``."""
        reader = open_video(video)
        predictor = self._ready(matcher, adapt_steps, on_progress)
        masks = predictor.iter_segment(reader, read_index_png(mask))
        name = video_name(video)
        start = time.perf_counter()
        out = self._run_dir(video)
        with staged_output_dir(out) as staging:
            count = write_mask_outputs(
                staging, reader, masks, name, reader.fps, DEFAULT_ALPHA, on_progress=on_progress
            )
            archive = shutil.make_archive(
                osp.join(staging, f'{MASKS_DIR}-{name}'), 'zip', osp.join(staging, MASKS_DIR)
            )
        return RunResult(
            video=osp.join(out, OVERLAY_MP4),
            files=[osp.join(out, osp.basename(archive))],
            summary=self._summary(
                f'propagated the mask into {count} frames',
                reader,
                predictor,
                matcher,
                'masks',
                start,
            ),
        )

    def _ready(
        self, matcher: str, adapt_steps: Optional[int], on_progress: Optional[ProgressCallback]
    ) -> Predictor:
        """The run's Predictor, reporting to this run's ``on_progress``."""
        predictor = self.predictor(matcher, adapt_steps)
        predictor.on_progress = on_progress
        return predictor

    def _summary(
        self,
        what: str,
        reader: VideoReader,
        predictor: Predictor,
        matcher: str,
        kind: str,
        start: float,
    ) -> str:
        input_h, input_w = predictor.encoder_size(reader)
        seconds = time.perf_counter() - start
        return (
            f'Done: {what} through {len(reader)} frames of {reader.width}x{reader.height} in '
            f'{seconds:.1f} s (encoder input {input_w}x{input_h} on {predictor.device}, '
            f'{matcher}, adaptation {predictor.adapt_steps_for(kind)} steps). Weights: {self.weights}.'
        )
