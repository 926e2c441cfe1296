"""tools/demo.py on several videos: output folders never collide, an input
keeps the folder made from it when the inputs are reordered, --overwrite
never replaces another input's folder and --resume credits a folder only to
the input whose bytes it records (issue 27)."""

import csv
import os
import re
from pathlib import Path

import numpy as np
import pytest
from tool_runs import RAW_CONFIG, load_tool, moving_frames, write_avi

from fgvc.fileio import path_sha256
from fgvc.outputs.batch import output_folders
from fgvc.outputs.files import read_manifest

demo = load_tool('demo')


@pytest.fixture
def inputs(tmp_path) -> list:
    """Three videos whose names collide: x1/foo.avi, x2/foo.avi and foo-2.avi."""
    paths = [tmp_path / 'x1' / 'foo.avi', tmp_path / 'x2' / 'foo.avi', tmp_path / 'foo-2.avi']
    for seed, path in enumerate(paths):
        path.parent.mkdir(exist_ok=True)
        write_avi(str(path), moving_frames(seed))
    return [str(p) for p in paths]


def run_demo(videos, out: Path, capsys, *flags: str):
    argv = [*videos, '--out', str(out), '--config', RAW_CONFIG, '--queries', 'grid:2', *flags]
    try:
        demo.main([*argv, '--device', 'cpu'])
        code = 0
    except SystemExit as error:
        code = error.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def folders_by_input(out: Path) -> dict:
    """``{input path: folder name}`` from the manifests, checking each records its input's bytes."""
    owners = {}
    for folder in out.iterdir():
        manifest = read_manifest(str(folder))
        if manifest is not None:
            assert manifest['source_sha256'] == path_sha256(manifest['source'])
            owners[manifest['source']] = folder.name
    return owners


def mapping_logged(stdout: str) -> dict:
    return {
        video: os.path.basename(folder)
        for video, folder in re.findall(r'^\[\d+/\d+\] (\S+) -> (\S+)$', stdout, re.M)
    }


def test_colliding_names_get_their_own_folders(inputs, tmp_path, capsys):
    assert output_folders(inputs, 'o') == ['o/foo', 'o/foo-3', 'o/foo-2']
    out = tmp_path / 'out'
    code, stdout, _ = run_demo(inputs, out, capsys)
    assert code == 0
    owners = folders_by_input(out)
    assert owners == dict(zip(inputs, ['foo', 'foo-3', 'foo-2']))
    assert mapping_logged(stdout) == owners
    with open(out / 'summary.csv', newline='') as f:
        assert [r['status'] for r in csv.DictReader(f)] == ['ok', 'ok', 'ok']
    tracks = {v: np.load(out / name / 'tracks.npz')['tracks'] for v, name in owners.items()}

    # reordered, with --overwrite: each input is written into its own folder again
    reordered = inputs[::-1]
    code, stdout, _ = run_demo(reordered, out, capsys, '--overwrite')
    assert code == 0 and mapping_logged(stdout) == owners and folders_by_input(out) == owners
    for video, name in owners.items():
        np.testing.assert_array_equal(np.load(out / name / 'tracks.npz')['tracks'], tracks[video])

    # reordered, with --resume: every input is credited with its own folder only
    code, stdout, _ = run_demo(inputs[1:] + inputs[:1], out, capsys, '--resume')
    assert code == 0 and stdout.count('skipped,') == 3
    assert mapping_logged(stdout) == owners

    # a new input of a colliding name gets a name no folder has
    extra = tmp_path / 'x3' / 'foo.avi'
    extra.parent.mkdir()
    write_avi(str(extra), moving_frames(7))
    code, stdout, _ = run_demo([*inputs, str(extra)], out, capsys, '--resume')
    assert code == 0 and folders_by_input(out)[str(extra)] == 'foo-4'


def test_resume_keeps_a_folder_only_for_the_same_bytes(inputs, tmp_path, capsys):
    out = tmp_path / 'out'
    assert run_demo(inputs, out, capsys)[0] == 0
    owners = folders_by_input(out)
    write_avi(inputs[0], moving_frames(9))  # the same path, other frames
    code, stdout, err = run_demo(inputs, out, capsys, '--resume')
    assert code == 1 and stdout.count('skipped,') == 2
    assert 'made from an earlier version of this input (its fingerprint differs)' in stdout
    assert f'error: {inputs[0]}: FileExistsError' in err and '--overwrite' in err
    code, stdout, _ = run_demo(inputs, out, capsys, '--resume', '--overwrite')
    assert code == 0 and stdout.count('skipped,') == 2
    assert folders_by_input(out) == owners  # the same folder, now of the new bytes
