"""Scoring predictions read from disk (any tracker's) with the evaluation's
datasets and metrics: ``tools/score.py``."""

from typing import Dict, Optional, Sequence

from mmengine.config import Config
from tqdm import tqdm

from fgvc.evaluation.metrics import TapVidMetric
from fgvc.evaluation.records import prepare_records
from fgvc.fileio import UnsafePickleError, load_pickle
from fgvc.registry import DATASETS, METRICS

from .tasks import config_protocol, file_sha256

__all__ = ['score_predictions', 'load_prediction_source', 'check_scoring_options']


def load_prediction_source(path: str, trust_pickle: bool = False):
    """A folder of per-video files, or the content of a TAP-Vid predictions
    pickle, read safely (arrays and containers only; any other type needs
    ``trust_pickle``)."""
    if not path.endswith('.pkl'):
        return path
    try:
        data = load_pickle(path, 'predictions pickle', trust_pickle)
    except UnsafePickleError:
        raise
    except ValueError as err:
        raise ValueError(
            f'{path} is a pickle: loading it can run any code, so it is read safely, and that '
            f'failed: {err}. Write one npz per video instead'
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f'{path} holds a {type(data).__name__}; expected {{video: predictions}}')
    return data


def check_scoring_options(
    cfg: Config,
    predictions: str,
    raster_hw: Optional[Sequence[int]] = None,
    raster_name: str = 'raster_hw',
) -> None:
    """Refuse, before anything is read, what the task would ignore: a raster
    (called ``raster_name`` by the caller) or a predictions pickle for another
    task than TAP-Vid's."""
    points = METRICS.get(cfg.test_evaluator['type']) is TapVidMetric
    if not points and raster_hw is not None:
        raise ValueError(f'{raster_name} applies to TAP-Vid tracks (davis, kinetics) only')
    if not points and predictions.endswith('.pkl'):
        raise ValueError(f'{predictions}: a predictions pickle holds TAP-Vid tracks only')
    if raster_hw is not None and min(raster_hw) < 1:
        raise ValueError(f'{raster_name} needs a height and width >= 1, got {list(raster_hw)}')


def score_predictions(
    cfg: Config,
    predictions: str,
    trust_pickle: bool = False,
    raster_hw: Optional[Sequence[int]] = None,
) -> Dict[str, float]:
    """Score the predictions in ``predictions`` on the dataset of a prepared
    config (:func:`fgvc.apis.prepare_test_config`) with its metric; the
    summary is written to the metric's ``out_dir`` as by ``tools/test.py``.

    ``raster_hw``: (height, width) of TAP-Vid tracks whose files do not say
    (default: the scored raster, 256x256). Options the task does not use are
    refused before anything is read; a run that stops on a bad prediction
    leaves no per-video records behind.
    """
    check_scoring_options(cfg, predictions, raster_hw)
    source = load_prediction_source(predictions, trust_pickle)
    provenance = dict(
        predictions=predictions,
        predictions_sha256=file_sha256(predictions) if isinstance(source, dict) else None,
        tool='tools/score.py',
    )
    metric_cfg = dict(
        cfg.test_evaluator,
        protocol=config_protocol(cfg, with_model=False),
        provenance=provenance,
        dump_dir=None,
    )
    metric = METRICS.build(metric_cfg)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    options = {} if raster_hw is None else dict(raster_hw=tuple(raster_hw))
    prepare_records(metric.out_dir, metric.task, resume=False)  # no earlier run's records
    try:
        for idx in tqdm(range(len(dataset)), desc=f'scoring {metric.task}', unit='video'):
            sample = dataset[idx]['data_samples'].to_dict()
            sample.update(metric.read_predictions(sample, source, **options))
            metric.process(None, [sample])
    except BaseException:
        prepare_records(metric.out_dir, metric.task, resume=False)  # nor this one's
        raise
    return metric.evaluate(len(dataset))
