"""Publish a training checkpoint's encoder into a model zoo (:mod:`fgvc.models.zoo`).

The encoder's weights are read with the loader evaluation uses (strict: the
encoder's keys fit it, only training-only modules are left out), written as
a float32 safetensors file whose metadata holds the encoder config (so the
file loads on its own too), and recorded in the zoo's manifest with its
sha256, the encoder config, the training config and command, the
checkpoint's epoch and iteration, and a summary of the training logs
(:mod:`fgvc.zoo.training_log`), written beside the weights as
``<name>.md``. The manifest is written last and atomically: it never names
a file that is not complete.
"""

import datetime
import glob
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from torch import nn

from fgvc.fileio import atomic_write
from fgvc.models.zoo import (
    SHA256_PREFIX,
    ZOO_PREFIX,
    Zoo,
    ZooModel,
    add_model,
    check_name,
    sha256_of,
    zoo_location,
)
from fgvc.registry import MODELS
from fgvc.resources import config_root as shipped_config_root
from fgvc.utils import EncoderCheckpoint, register_all_modules, save_weights
from fgvc.utils.checkpoint import stored_backbone_config

from .training_log import TrainingLog, format_duration, summarise_training, training_log_markdown

#: Backbone settings that only matter while training (or name other files):
#: left out of the zoo's encoder config.
TRAINING_ONLY_KEYS = ('init_cfg', 'pretrained', 'frozen_stages', 'norm_eval', 'zero_init_residual')
#: The type the shipped floating-point weights are stored in.
WEIGHTS_DTYPE = torch.float32


@dataclass
class Publication:
    """What :func:`publish_checkpoint` wrote."""

    model: ZooModel
    weights_file: str
    size_bytes: int
    summary_file: str
    entry: Dict[str, Any]


class _EncoderHolder(nn.Module):
    """The ``backbone`` attribute the encoder loader fills."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone


def zoo_encoder_config(meta: Dict[str, Any], filename: str) -> Dict[str, Any]:
    """The encoder config of a training checkpoint, from its ``meta``: the
    stored config's ``model.backbone`` without :data:`TRAINING_ONLY_KEYS`."""
    backbone = stored_backbone_config({'meta': meta})
    if 'type' not in backbone:
        raise ValueError(
            f'Checkpoint {filename} stores no training config with model.backbone.type: '
            'the encoder it holds is unknown (publish checkpoints that tools/train.py wrote)'
        )
    return {k: v for k, v in backbone.items() if k not in TRAINING_ONLY_KEYS}


def find_training_config(
    work_dir: str, config_root: str = str(shipped_config_root())
) -> Optional[str]:
    """The repository config a work dir was trained from: the one under
    ``config_root`` named like the config copy mmengine leaves in the work
    dir; None unless exactly one matches."""
    copies = glob.glob(osp.join(glob.escape(work_dir), '*.py'))
    if len(copies) != 1:
        return None
    matches = glob.glob(
        osp.join(glob.escape(config_root), '**', osp.basename(copies[0])), recursive=True
    )
    if len(matches) != 1:
        return None
    return osp.relpath(matches[0], osp.dirname(osp.abspath(config_root)))


def summary_markdown(
    name: str, entry: Dict[str, Any], logs: Sequence[Tuple[Dict[str, Any], Optional[TrainingLog]]]
) -> str:
    """The ``<name>.md`` beside the weights: provenance and the training log of
    each stage (``logs``: the stage's record and its log, first stage first;
    a stage of a zoo model the training started from has no log here, its
    record names the model whose summary has it)."""
    encoder = ', '.join(f'{k}={v!r}' for k, v in entry['encoder'].items())
    source = entry['source']
    rows = [
        ('weights', f'`{entry["file"]}` ({entry["size_bytes"] / 1e6:.2f} MB, {entry["dtype"]})'),
        ('sha256', f'`{entry["sha256"]}`'),
        ('encoder', f'`{encoder}`'),
        ('training config', f'`{entry["train_config"]}`'),
        ('training command', f'`{entry["train_command"]}`'),
        (
            'checkpoint',
            f'`{source["checkpoint"]}`: epoch {source["epoch"]}, iteration {source["iter"]}',
        ),
        ('published', entry['published']),
    ]
    table = '\n'.join(f'| {key} | {value} |' for key, value in rows)
    text = f'# Model zoo: {name}\n\n| | |\n|---|---|\n{table}\n\n## Training log\n\n'
    if len(logs) == 1:
        return text + training_log_markdown(logs[0][1])
    total = entry['training']
    text += (
        f'{len(logs)} stages, each starting from the weights the one before ended with: '
        f'{total["iterations"]} iterations in all, '
        f'{format_duration(total["iteration_time_s"])} of iterations, '
        f'{format_duration(total["elapsed_s"])} elapsed.\n'
    )
    for number, (stage, log) in enumerate(logs, 1):
        text += (
            f'\n### Stage {number}: `{stage["train_config"]}`, up to `{stage["checkpoint"]}`\n\n'
        )
        if log is not None:
            text += training_log_markdown(log)
            continue
        shipped = stage['zoo_model']
        training = stage['training']
        text += (
            f'Trained before, as (part of) the zoo model `{shipped["name"]}` (sha256 '
            f'`{shipped["sha256"][:SHA256_PREFIX]}`): {training["iterations"]} iterations, '
            f'{format_duration(training["elapsed_s"])} elapsed; its losses per epoch are in '
            f'[{shipped["log_summary"]}]({shipped["log_summary"]}).\n'
        )
    return text


def _stage(
    path: str, meta: Dict[str, Any], work_dir: str, train_config: Optional[str]
) -> Tuple[Dict[str, Any], TrainingLog]:
    """One training stage's record (config, checkpoint, training numbers) and log."""
    log = summarise_training(work_dir, int(meta.get('iter', 0)), meta.get('epoch'))
    train_config = train_config or find_training_config(work_dir)
    if train_config is None:
        raise ValueError(
            f'Which config trained {path}? None under configs/ is named like the copy in '
            f'{work_dir}: pass train_config (--train-config)'
        )
    record = _stage_record(
        train_config, osp.basename(path), meta.get('epoch'), meta.get('iter'), log.record()
    )
    return record, log


def _stage_record(
    train_config: str,
    checkpoint: str,
    epoch: Optional[int],
    iteration: Optional[int],
    training: Dict[str, Any],
) -> Dict[str, Any]:
    """A stage as the manifest's ``stages`` list records it."""
    return dict(
        train_config=train_config,
        checkpoint=checkpoint,
        epoch=epoch,
        iter=iteration,
        training=training,
    )


def _zoo_stages(spec: str, zoo_dir: str) -> List[Tuple[Dict[str, Any], None]]:
    """The stage records of the zoo model ``spec`` (``zoo:NAME``) a training
    started from: its own ``stages``, or the model as one stage; each names
    the model, whose summary holds their logs."""
    model = Zoo(zoo_dir).get(spec[len(ZOO_PREFIX) :])
    entry = model.record
    source = entry['source']
    records = entry.get('stages') or [
        _stage_record(
            entry['train_config'],
            source['checkpoint'],
            source['epoch'],
            source['iter'],
            entry['training'],
        )
    ]
    shipped = dict(name=model.name, sha256=model.sha256, log_summary=entry['log_summary'])
    return [(dict(record, zoo_model=shipped), None) for record in records]


def _total(records: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The training numbers of all stages together."""
    if len(records) == 1:
        return records[0]
    elapsed = [r['elapsed_s'] for r in records]
    return dict(
        epochs=sum(r['epochs'] or 0 for r in records),
        iterations=sum(r['iterations'] for r in records),
        runs=sum(r['runs'] for r in records),
        iteration_time_s=round(sum(r['iteration_time_s'] for r in records), 1),
        elapsed_s=None if None in elapsed else round(sum(elapsed), 1),
    )


def publish_checkpoint(
    checkpoint: str,
    name: str,
    zoo_dir: Optional[str] = None,
    train_config: Optional[str] = None,
    train_command: Optional[str] = None,
    work_dir: Optional[str] = None,
    make_default: bool = False,
    trust: bool = False,
    earlier_stages: Sequence[Tuple[str, Optional[str]]] = (),
) -> Publication:
    """Write the encoder of a training checkpoint into a zoo as model ``name``.

    Args:
        checkpoint: a checkpoint file, ``last_checkpoint`` file or work dir.
        name: the model's name (letters, digits, ``_-.``); an existing model
            of that name is replaced.
        zoo_dir: the zoo folder (default: ``$FGVC_ZOO`` or the package's ``fgvc/weights``).
        train_config: the config that trained it, as the documentation should
            name it (default: the repository config named like the work dir's copy).
        train_command: the command that trained it (default
            ``python tools/train.py <train_config>``).
        work_dir: the training work dir whose logs are summarised (default:
            the checkpoint's folder).
        make_default: make it the zoo's default model (the first model
            published into a zoo becomes the default anyway).
        trust: allow full unpickling of the checkpoint.
        earlier_stages: for a training in stages (each starting from the
            weights the one before ended with), the checkpoint each earlier
            stage ended with and its training config (None: found like
            ``train_config``), first stage first. Their logs are summarised
            too, the manifest records each stage under ``stages`` and its
            ``training`` sums them. ``zoo:NAME`` instead of a checkpoint: the
            training started from that model of the zoo (its weights, e.g. by
            an ``init_cfg`` of type ``Pretrained``); its manifest records are
            taken as the earlier stages, and the summary points at its log.

    Raises:
        ValueError: the checkpoint stores no encoder config, or a bad name.
        CheckpointMismatchError: its weights do not fit that encoder.
        FileNotFoundError: no checkpoint, or no training logs in ``work_dir``.
    """
    check_name(name)
    register_all_modules(init_scope=False)
    stored = EncoderCheckpoint(checkpoint, trust)
    path, meta = stored.path, stored.meta
    encoder = zoo_encoder_config(meta, path)
    holder = _EncoderHolder(MODELS.build(dict(encoder)))
    stored.load_into(holder)
    state = {
        k: v.to(WEIGHTS_DTYPE) if v.is_floating_point() else v
        for k, v in holder.backbone.state_dict().items()
    }
    location = str(zoo_location(zoo_dir))
    stages: List[Tuple[Dict[str, Any], Optional[TrainingLog]]] = []
    for earlier, earlier_config in earlier_stages:
        if earlier.startswith(ZOO_PREFIX):
            if earlier_config is not None:
                raise ValueError(
                    f'{earlier} names a zoo model, whose manifest records its configs: '
                    f'drop {earlier_config}'
                )
            stages.extend(_zoo_stages(earlier, location))
            continue
        before = EncoderCheckpoint(earlier, trust)
        stages.append(_stage(before.path, before.meta, osp.dirname(before.path), earlier_config))
    stages.append(_stage(path, meta, work_dir or osp.dirname(path), train_config))
    train_config = stages[-1][0]['train_config']
    configs = [stage['train_config'] for stage, _ in stages]

    weights_file = osp.join(location, f'{name}.safetensors')
    cfg_text = Config(dict(model=dict(backbone=encoder))).pretty_text
    # One metadata key: safetensors writes its metadata map in no fixed order,
    # and the file's sha256 must depend on the weights and encoder alone.
    save_weights(state, weights_file, 'safetensors', meta={'cfg': cfg_text})
    entry = dict(
        file=osp.basename(weights_file),
        sha256=sha256_of(weights_file),
        size_bytes=osp.getsize(weights_file),
        dtype=str(WEIGHTS_DTYPE).replace('torch.', ''),
        encoder=encoder,
        train_config=train_config,
        train_command=train_command
        or ' && '.join(f'python tools/train.py {config}' for config in configs),
        source=dict(
            checkpoint=osp.basename(path),
            epoch=meta.get('epoch'),
            iter=meta.get('iter'),
            experiment=meta.get('experiment_name'),
        ),
        training=_total([stage['training'] for stage, _ in stages]),
        log_summary=f'{name}.md',
        published=datetime.date.today().isoformat(),
    )
    if len(stages) > 1:
        entry['stages'] = [stage for stage, _ in stages]
    summary_file = osp.join(location, entry['log_summary'])
    atomic_write(summary_file, summary_markdown(name, entry, stages).encode())
    add_model(location, name, entry, make_default)
    return Publication(
        Zoo(location).get(name), weights_file, entry['size_bytes'], summary_file, entry
    )


def describe_publication(publication: Publication) -> str:
    """Lines for the console: what was written, and how big."""
    training = publication.entry['training']
    return '\n'.join(
        [
            f'Published {publication.model.describe()}',
            f'  weights: {publication.size_bytes / 1e6:.2f} MB '
            f'({publication.entry["dtype"]}), sha256 {publication.model.sha256}',
            f'  encoder: {publication.entry["encoder"]}',
            f'  training: {training["epochs"]} epoch(s), {training["iterations"]} iterations, '
            f'{format_duration(training["elapsed_s"])} elapsed',
            f'  log summary: {publication.summary_file}',
        ]
    )
