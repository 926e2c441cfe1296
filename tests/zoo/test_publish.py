"""Publishing a training checkpoint into a zoo (fgvc.zoo.publish,
tools/publish_model.py): the weights file, the manifest entry and the
training-log summary, checked against the checkpoint and the run's own logs."""

import json
import shutil

import pytest
import safetensors
import torch
from zoo_utils import TINY_MODEL, TINY_TRAIN_CONFIG, TINY_WIDTH

from fgvc.models.zoo import MANIFEST, Zoo, sha256_of
from fgvc.utils import CheckpointMismatchError, load_checkpoint
from fgvc.zoo.publish import publish_checkpoint


def test_the_entry_records_weights_encoder_and_provenance(tiny_zoo):
    manifest = json.loads((tiny_zoo.zoo_dir / MANIFEST).read_text())
    assert manifest['default'] == TINY_MODEL  # the first model of a zoo
    entry = manifest['models'][TINY_MODEL]
    path = tiny_zoo.zoo_dir / entry['file']
    assert entry['file'] == f'{TINY_MODEL}.safetensors'
    assert entry['sha256'] == sha256_of(path)
    assert entry['size_bytes'] == path.stat().st_size
    assert entry['dtype'] == 'float32'
    # the training config's backbone, without the settings only training reads
    assert entry['encoder'] == {
        'base_channels': TINY_WIDTH,
        'depth': 18,
        'dilations': [1, 1, 1, 1],
        'out_indices': [2],
        'pool_type': 'none',
        'strides': [1, 1, 1, 4],
        'type': 'ResNet',
    }
    stored = load_checkpoint(str(tiny_zoo.checkpoint))
    assert entry['source'] == {
        'checkpoint': 'epoch_1.pth',
        'epoch': 1,
        'iter': stored['meta']['iter'],
        'experiment': stored['meta']['experiment_name'],
    }
    assert entry['train_config'] == TINY_TRAIN_CONFIG
    assert entry['train_command'] == f'python tools/train.py {TINY_TRAIN_CONFIG}'
    assert entry['training']['epochs'] == 1
    assert entry['training']['iterations'] == stored['meta']['iter']
    assert entry['log_summary'] == f'{TINY_MODEL}.md'
    size = f'{entry["size_bytes"] / 1e6:.2f} MB (float32)'
    assert size in tiny_zoo.publish_output and entry['sha256'] in tiny_zoo.publish_output


def test_the_file_holds_the_float32_encoder_and_its_config(tiny_zoo):
    path = tiny_zoo.zoo_dir / f'{TINY_MODEL}.safetensors'
    stored = load_checkpoint(str(tiny_zoo.checkpoint))['state_dict']
    encoder = {k[len('backbone.') :]: v for k, v in stored.items() if k.startswith('backbone.')}
    published = safetensors.torch.load_file(str(path))
    assert published.keys() == encoder.keys()  # nothing of the losses or the teacher
    for key, value in encoder.items():
        assert published[key].dtype == (torch.float32 if value.is_floating_point() else value.dtype)
        torch.testing.assert_close(published[key], value, rtol=0, atol=0, msg=key)
    with safetensors.safe_open(str(path), framework='pt') as file:
        meta = file.metadata()
    assert set(meta) == {'cfg'}  # the name lives in the manifest (one key: a fixed byte order)
    assert f'base_channels={TINY_WIDTH}' in meta['cfg']


def test_the_log_summary_matches_the_logged_losses(tiny_zoo):
    """One epoch logged every iteration with a window of one: the epoch's
    mean is the plain mean of the logged values."""
    (scalars,) = tiny_zoo.work_dir.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    records = [r for r in records if 'loss' in r]
    assert records and {r['epoch'] for r in records} == {1}
    mean = sum(r['loss'] for r in records) / len(records)
    text = (tiny_zoo.zoo_dir / f'{TINY_MODEL}.md').read_text()
    assert f'| 1 | {records[-1]["step"]} | {mean:.4f} |' in text
    assert Zoo(tiny_zoo.zoo_dir).get(TINY_MODEL).sha256 in text
    assert TINY_TRAIN_CONFIG in text


def test_a_second_model_is_default_only_when_asked(tiny_zoo, tmp_path):
    zoo_dir = tmp_path / 'zoo'
    shutil.copytree(tiny_zoo.zoo_dir, zoo_dir)
    common = dict(zoo_dir=str(zoo_dir), train_config=TINY_TRAIN_CONFIG)
    first = publish_checkpoint(str(tiny_zoo.work_dir), 'second', **common)
    assert Zoo(zoo_dir).default.name == TINY_MODEL
    again = publish_checkpoint(str(tiny_zoo.checkpoint), 'second', make_default=True, **common)
    zoo = Zoo(zoo_dir)
    assert zoo.names == ['second', TINY_MODEL] and zoo.default.name == 'second'
    # the same checkpoint (found from its work dir, then named) gives the same file
    assert first.model.sha256 == again.model.sha256 == zoo.get('second').sha256


def test_bad_checkpoints_are_refused_and_nothing_is_written(tiny_zoo, tmp_path):
    zoo_dir = tmp_path / 'zoo'
    stored = load_checkpoint(str(tiny_zoo.checkpoint))
    bare = tmp_path / 'bare.pth'  # weights without the training config
    torch.save({'state_dict': stored['state_dict']}, bare)
    with pytest.raises(ValueError, match='stores no training config'):
        publish_checkpoint(str(bare), 'x', str(zoo_dir), train_config=TINY_TRAIN_CONFIG)
    stray = tmp_path / 'stray.pth'
    torch.save(dict(stored, state_dict={**stored['state_dict'], 'head.w': torch.zeros(1)}), stray)
    with pytest.raises(CheckpointMismatchError, match=r"map nowhere: \['head.w'\]"):
        publish_checkpoint(str(stray), 'x', str(zoo_dir), train_config=TINY_TRAIN_CONFIG)
    # the work dir's config copy is named like nothing under configs/
    with pytest.raises(ValueError, match='pass train_config'):
        publish_checkpoint(str(tiny_zoo.checkpoint), 'x', str(zoo_dir))
    with pytest.raises(ValueError, match='zoo model name'):
        publish_checkpoint(str(tiny_zoo.checkpoint), '../x', str(zoo_dir))
    assert not zoo_dir.exists() or not any(zoo_dir.iterdir())


def test_a_stage_started_from_a_zoo_model_records_that_model(tiny_zoo, tmp_path):
    """``earlier_stages=[('zoo:NAME', None)]``: the zoo model's record is the
    first stage (its sha256 and log summary named), the totals add up."""
    zoo_dir = tmp_path / 'zoo'
    shutil.copytree(tiny_zoo.zoo_dir, zoo_dir)
    first = Zoo(zoo_dir).get(TINY_MODEL)
    published = publish_checkpoint(
        str(tiny_zoo.checkpoint),
        'second',
        str(zoo_dir),
        train_config=TINY_TRAIN_CONFIG,
        earlier_stages=[(f'zoo:{TINY_MODEL}', None)],
    )
    entry = published.entry
    before, after = entry['stages']
    assert before['zoo_model'] == {
        'name': TINY_MODEL,
        'sha256': first.sha256,
        'log_summary': f'{TINY_MODEL}.md',
    }
    assert before['training'] == first.record['training'] and 'zoo_model' not in after
    iterations = first.record['training']['iterations'] + after['training']['iterations']
    assert entry['training']['iterations'] == iterations
    assert entry['train_command'] == ' && '.join([f'python tools/train.py {TINY_TRAIN_CONFIG}'] * 2)
    text = (zoo_dir / 'second.md').read_text()
    assert f'zoo model `{TINY_MODEL}` (sha256 `{first.short_sha256}`)' in text
    assert f'[{TINY_MODEL}.md]({TINY_MODEL}.md)' in text and '### Stage 2' in text
    with pytest.raises(ValueError, match=f"No model 'absent'.*it has: .*{TINY_MODEL}"):
        publish_checkpoint(
            str(tiny_zoo.checkpoint),
            'third',
            str(zoo_dir),
            train_config=TINY_TRAIN_CONFIG,
            earlier_stages=[('zoo:absent', None)],
        )
    with pytest.raises(ValueError, match='records its configs: drop x.py'):
        publish_checkpoint(
            str(tiny_zoo.checkpoint),
            'third',
            str(zoo_dir),
            train_config=TINY_TRAIN_CONFIG,
            earlier_stages=[(f'zoo:{TINY_MODEL}', 'x.py')],
        )
    assert 'third' not in Zoo(zoo_dir).names
