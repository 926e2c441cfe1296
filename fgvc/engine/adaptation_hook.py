"""Per-video test-time adaptation inside the test loop (``tools/test.py --adapt``)."""

import copy
import time
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from fgvc.fileio.video_reader import ArrayVideo
from fgvc.registry import HOOKS

from .adaptation import adapt_encoder, check_adaptation_options


def _queries_in_video(sample, video: ArrayVideo) -> Optional[np.ndarray]:
    """The sample's ``query_points`` (t, y, x), from its ``raster_hw`` to the
    pixels of ``video`` (its model inputs); None without query points."""
    queries = getattr(sample, 'query_points', None)
    if queries is None:
        return None
    queries = np.array(queries, dtype=np.float64).reshape(-1, 3)
    raster = getattr(sample, 'raster_hw', None) or (video.height, video.width)
    queries[:, 1:] *= np.array([video.height / raster[0], video.width / raster[1]])
    return queries


@HOOKS.register_module()
class TestTimeAdaptationHook(Hook):
    """Before each test video, load into the model's encoder a copy adapted to
    that video's frames (:func:`fgvc.engine.adaptation.adapt_encoder`) and,
    with ``annotation`` in ``cfg``, its first-frame mask (the input of
    semi-supervised VOS) or, with ``points``, its query points; after it,
    restore the original weights. No later frame's labels are read.
    mmengine's test loop runs hooks without gradients; the adaptation enables
    them for itself. After the loop, the seconds per step are in the message
    hub's info ``adaptation_seconds_per_step``.

    Args:
        steps: Adaptation steps per video.
        cfg: The config's ``adaptation`` dict.
        seed: Seed of every video's adaptation.
    """

    priority = 'HIGH'

    def __init__(self, steps: int, cfg: dict, seed: int = 0) -> None:
        check_adaptation_options(steps, cfg)
        self.steps = steps
        self.cfg = cfg
        self.seed = seed
        self._original: Optional[dict] = None
        self._seconds, self._videos = 0.0, 0

    @staticmethod
    def _model(runner) -> torch.nn.Module:
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_test_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = self._model(runner)
        inputs = data_batch['inputs']
        if len(inputs) != 1:
            raise ValueError(f'Adaptation runs per video: use batch_size=1, got {len(inputs)}')
        video = ArrayVideo(inputs[0].cpu().numpy())
        first_mask = getattr(data_batch['data_samples'][0], 'first_mask', None)
        queries = _queries_in_video(data_batch['data_samples'][0], video)
        start = time.perf_counter()
        adapted = adapt_encoder(
            model,
            video,
            self.steps,
            self.cfg,
            seed=self.seed,
            first_mask=first_mask,
            queries=queries,
        )
        self._seconds += time.perf_counter() - start
        self._videos += 1
        self._original = copy.deepcopy(model.backbone.state_dict())
        model.backbone.load_state_dict(adapted.backbone.state_dict())

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._original is not None:
            self._model(runner).backbone.load_state_dict(self._original)
            self._original = None

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._videos:
            seconds = self._seconds / (self._videos * self.steps)
            runner.message_hub.update_info('adaptation_seconds_per_step', seconds)
