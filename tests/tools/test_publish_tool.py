"""tools/publish_model.py through its main: --default, --train-command,
--work-dir, --trust-pickle and --after change what the zoo records."""

import json
import shutil

import pytest
from tool_runs import crafted_checkpoint, exit_message, load_tool
from zoo_utils import TINY_MODEL, TINY_TRAIN_CONFIG, train_second_stage

from fgvc.models.zoo import MANIFEST, Zoo
from fgvc.utils import load_checkpoint


def test_default_command_work_dir_and_trust_reach_the_manifest(tiny_zoo, tmp_path, capsys):
    zoo_dir = tmp_path / 'zoo'
    shutil.copytree(tiny_zoo.zoo_dir, zoo_dir)
    # the trained checkpoint away from its logs, with a type only a trusted load accepts
    stored = load_checkpoint(str(tiny_zoo.checkpoint))
    marker = tmp_path / 'ran.txt'
    crafted = tmp_path / 'alone' / 'epoch_1.pth'
    crafted.parent.mkdir()
    crafted_checkpoint(crafted, marker, stored)
    publish = load_tool('publish_model').main
    args = [str(crafted), '--name', 'second', '--zoo', str(zoo_dir)]
    args += ['--train-config', TINY_TRAIN_CONFIG, '--work-dir', str(tiny_zoo.work_dir)]
    with pytest.raises(SystemExit) as error:
        publish(args)
    assert '--trust-pickle' in exit_message(error) and not marker.exists()

    publish([*args, '--trust-pickle', '--train-command', 'bash my_train.sh'])
    assert marker.exists()
    manifest = json.loads((zoo_dir / MANIFEST).read_text())
    assert manifest['default'] == TINY_MODEL  # not asked for: the first model stays default
    entry = manifest['models']['second']
    assert entry['train_command'] == 'bash my_train.sh'
    # the logs come from --work-dir (the checkpoint's own folder has none)
    original = manifest['models'][TINY_MODEL]
    assert entry['training'] == original['training']
    assert 'Published' in capsys.readouterr().out

    publish([*args, '--trust-pickle', '--default'])
    zoo = Zoo(zoo_dir)
    assert zoo.default.name == 'second'
    assert zoo.get('second').sha256 == zoo.get(TINY_MODEL).sha256  # the same weights
    entry = json.loads((zoo_dir / MANIFEST).read_text())['models']['second']
    assert entry['train_command'] == f'python tools/train.py {TINY_TRAIN_CONFIG}'
    with pytest.raises(SystemExit) as error:  # without --work-dir: no logs next to the file
        publish([str(crafted), '--name', 'third', '--zoo', str(zoo_dir), '--trust-pickle'])
    assert str(crafted.parent) in exit_message(error)


def test_a_training_in_stages_records_each_stage_and_their_sum(tiny_zoo, tmp_path):
    """A second stage trained from the tiny zoo's checkpoint, published with
    the first stage named by --after: both logs, one total."""
    work_dir = train_second_stage(tiny_zoo, tmp_path)
    zoo_dir = tmp_path / 'zoo'
    load_tool('publish_model').main(
        [str(work_dir), '--name', 'staged', '--zoo', str(zoo_dir), '--train-config', 'second.py',
         '--after', str(tiny_zoo.checkpoint), TINY_TRAIN_CONFIG]
    )  # fmt: skip
    entry = json.loads((zoo_dir / MANIFEST).read_text())['models']['staged']
    first, second = entry['stages']
    for stage, checkpoint in ((first, tiny_zoo.checkpoint), (second, work_dir / 'epoch_1.pth')):
        meta = load_checkpoint(str(checkpoint))['meta']
        assert (stage['checkpoint'], stage['epoch']) == ('epoch_1.pth', 1)
        assert stage['iter'] == stage['training']['iterations'] == meta['iter']
    assert (first['train_config'], second['train_config']) == (TINY_TRAIN_CONFIG, 'second.py')
    assert entry['train_config'] == 'second.py'
    assert entry['train_command'] == (
        f'python tools/train.py {TINY_TRAIN_CONFIG} && python tools/train.py second.py'
    )
    for key in ('epochs', 'iterations', 'runs'):
        assert entry['training'][key] == first['training'][key] + second['training'][key]
    text = (zoo_dir / 'staged.md').read_text()
    assert f'### Stage 1: `{TINY_TRAIN_CONFIG}`, up to `epoch_1.pth`' in text
    assert '### Stage 2: `second.py`, up to `epoch_1.pth`' in text
    assert f'{entry["training"]["iterations"]} iterations in all' in text
    # the weights are the second stage's
    staged = Zoo(zoo_dir).get('staged').sha256
    assert staged != Zoo(tiny_zoo.zoo_dir).get(TINY_MODEL).sha256


def test_after_takes_a_checkpoint_and_at_most_its_config(tmp_path):
    parse = load_tool('publish_model').parse_args
    args = parse(['w', '--name', 'n', '--after', 'a.pth', '--after', 'b.pth', 'b.py'])
    assert args.after == [('a.pth', None), ('b.pth', 'b.py')]
    with pytest.raises(SystemExit):
        parse(['w', '--name', 'n', '--after', 'a.pth', 'a.py', 'extra'])
