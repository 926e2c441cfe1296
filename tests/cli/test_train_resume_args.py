"""How tools/train.py's --resume chooses the checkpoint a run starts from."""

import torch

from fgvc.cli.train import build_config, parse_args


def _checkpoint(path):
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': {}}, path)
    return str(path)


def test_resume_on_a_fresh_work_dir_starts_the_stage_from_its_load_from(tmp_path):
    # A later training stage starts from an earlier one's checkpoint; run
    # with --resume before it has a checkpoint of its own, it must still
    # start from there, not from random weights.
    start = _checkpoint(tmp_path / 'first_stage.pth')
    config = tmp_path / 'second_stage.py'
    config.write_text(f'load_from = {start!r}\n')
    work = tmp_path / 'work'
    args = parse_args([str(config), '--work-dir', str(work), '--resume'])

    cfg = build_config(args)
    assert cfg.load_from == start and not cfg.resume

    work.mkdir()
    own = _checkpoint(work / 'epoch_1.pth')
    (work / 'last_checkpoint').write_text(own)
    cfg = build_config(args)
    assert cfg.load_from == own and cfg.resume


def test_resume_without_load_from_or_checkpoint_starts_afresh(tmp_path):
    config = tmp_path / 'first_stage.py'
    config.write_text('load_from = None\n')
    args = parse_args([str(config), '--work-dir', str(tmp_path / 'work'), '--resume'])
    cfg = build_config(args)
    assert cfg.load_from is None and not cfg.resume


def test_an_explicit_resume_checkpoint_replaces_load_from(tmp_path):
    start = _checkpoint(tmp_path / 'first_stage.pth')
    other = _checkpoint(tmp_path / 'elsewhere.pth')
    config = tmp_path / 'second_stage.py'
    config.write_text(f'load_from = {start!r}\n')
    args = parse_args([str(config), '--work-dir', str(tmp_path / 'work'), '--resume', other])
    cfg = build_config(args)
    assert cfg.load_from == other and cfg.resume
