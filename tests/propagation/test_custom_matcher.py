"""A fourth propagation matcher, defined and registered here alone, runs
through ``tools/test.py`` with no edit of the library (mmengine's
``custom_imports`` imports this module in the tool's process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from fgvc.cli.evaluate import main as evaluate_main
from fgvc.datasets.synthetic import (
    SceneConfig,
    TextureConfig,
    make_translation_scene,
    seed_rng,
    video_from_scene,
    write_tapvid_pickle,
)
from fgvc.propagation import Candidates, Matcher, check_option
from fgvc.registry import MATCHERS

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = ROOT / 'configs/eval/raw_patch_eval.py'


@MATCHERS.register_module()
class WholeFrameMatcher(Matcher):
    """Toy matcher: every target pixel against every memory pixel, no
    neighbourhood; appends one line per call to ``calls_file``."""

    def __init__(self, calls_file: str, scale: float = 1.0):
        check_option('WholeFrameMatcher', 'scale', scale, 'number', 0, strict=True)
        self.calls_file = calls_file
        self.scale = scale

    def candidates(self, target: torch.Tensor, memory: torch.Tensor, topk: int) -> Candidates:
        with open(self.calls_file, 'a') as f:
            f.write(f'{tuple(target.shape)}\n')
        affinity = self.scale * target.flatten(1).t() @ memory.flatten(1)
        return Candidates(*affinity.topk(min(topk, affinity.shape[1]), dim=1))


def tool_options(data: Path, work: Path) -> list:
    """tools/test.py's options after CONFIG CHECKPOINT: the task, its data and 64x64 frames."""
    return ['--task', 'davis', '--data-root', str(data), '--work-dir', str(work)] + [
        '--cfg-options',
        'test_dataloader.dataset.pipeline.0.size=(64,64)',
    ]


def run_test_tool(config: Path, data: Path, work: Path) -> dict:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(Path(__file__).resolve().parent)])
    )
    env['OMP_NUM_THREADS'] = '1'
    args = [sys.executable, 'tools/test.py', str(config), 'none', *tool_options(data, work)]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((work / 'davis_per_video.json').read_text())


def test_a_matcher_registered_outside_the_library_runs_through_tools_test(tmp_path):
    scene_cfg = SceneConfig(height=64, width=64, num_frames=6, num_points=20)
    texture = TextureConfig(styles=('noise',), weights=(1.0,), feature_size=(1.0, 3.0), detail=48.0)
    entries = {}
    for i, velocity in enumerate([(2.0, -2.0), (-4.0, 2.0)]):
        scene = make_translation_scene(64, 64, 6, velocity, seed=i, texture=texture)
        entries[f'translation_{i}'] = video_from_scene(scene, seed_rng(i), scene_cfg).tapvid()
    data = tmp_path / 'translation.pkl'
    write_tapvid_pickle(entries, str(data))
    calls = tmp_path / 'calls.txt'
    toy = tmp_path / 'toy_matcher_eval.py'
    toy.write_text(
        f'_base_ = [{str(RAW_CONFIG)!r}]\n'
        "custom_imports = dict(imports=['test_custom_matcher'], allow_failed_imports=False)\n"
        'tasks = dict(davis=dict(model=dict(propagation=dict(matcher=dict(\n'
        f"    _delete_=True, type='WholeFrameMatcher', calls_file={str(calls)!r})))))\n"
    )
    # The whole 32x32 grid is the neighbourhood of a local matcher of range 100.
    wide = tmp_path / 'wide_local_eval.py'
    wide.write_text(
        f'_base_ = [{str(RAW_CONFIG)!r}]\n'
        'tasks = dict(davis=dict(model=dict(propagation=dict(matcher=dict(\n'
        "    type='LocalMatcher', neighbor_range=100)))))\n"
    )
    ours = run_test_tool(toy, data, tmp_path / 'toy')
    # Each video's frames 1..5 are matched at least against frame 0 and the
    # frames predicted before them (1 + 2 + 3 + 4 + 5 pairs), on the 32x32
    # grid of 3x3 Lab patches.
    lines = calls.read_text().splitlines()
    assert len(lines) >= 2 * 15, len(lines)
    assert set(lines) == {'(27, 32, 32)'}
    # the reference runs tools/test.py's main in this process: only the toy
    # matcher's run needs a process of its own (to show custom_imports at work)
    evaluate_main([str(wide), 'none', *tool_options(data, tmp_path / 'wide')])
    reference = json.loads((tmp_path / 'wide' / 'davis_per_video.json').read_text())
    assert set(ours) == set(entries) == set(reference)
    for name in entries:
        for metric, value in reference[name].items():
            assert abs(ours[name][metric] - value) < 1e-6, (name, metric)
