"""tools/gpu_check.py through its main, as on a machine without CUDA: it refuses
to run unless --cpu-dry-run, which runs the chosen --steps on the CPU and
writes what they measured under --out."""

import json

import pytest
import torch
from tool_runs import exit_message, load_tool

PEAK_GFLOPS = 123.5


def test_a_dry_run_of_one_step_with_a_given_peak(tmp_path, capsys, monkeypatch):
    gpu_check = load_tool('gpu_check').main
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)  # also on a GPU machine
    out = tmp_path / 'check'
    with pytest.raises(SystemExit) as error:
        gpu_check(['--out', str(out), '--steps', 'benchmark'])
    assert 'use --cpu-dry-run' in exit_message(error)
    args = ['--cpu-dry-run', '--out', str(out), '--steps', 'benchmark']
    assert gpu_check([*args, '--peak-gflops', str(PEAK_GFLOPS)]) == 0
    results = json.loads((out / 'gpu_check.json').read_text())
    assert results['environment']['device'] == 'cpu'
    assert list(results['steps']) == ['benchmark']  # only the step asked for
    benchmark = results['steps']['benchmark']
    assert benchmark['status'] == 'passed'
    assert benchmark['result']['peak_gflops'] == dict(used=PEAK_GFLOPS, source='given')
    assert (out / 'benchmark.json').is_file()
    assert 'all steps passed' in capsys.readouterr().out
