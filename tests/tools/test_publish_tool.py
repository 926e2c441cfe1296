"""tools/publish_model.py through its main: --default, --train-command,
--work-dir and --trust-pickle change what the zoo records."""

import json
import shutil

import pytest
from tool_runs import crafted_checkpoint, exit_message, load_tool
from zoo_utils import TINY_MODEL, TINY_TRAIN_CONFIG

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
