"""tools/benchmark_demo.py as a user runs it, on a 4-frame video: the video
it generates and the demo run it measures follow every option."""

import re

import av
import numpy as np
from tool_runs import EVAL_CONFIG, crafted_checkpoint, run_tool

from fgvc.apis import Predictor
from fgvc.benchmark.demo import write_video


def frames_of(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


def test_the_generated_video_and_the_demo_run_follow_every_option(tmp_path):
    encoder = Predictor(EVAL_CONFIG, 'none', device='cpu', warn_untrained=False).model('davis')
    marker = tmp_path / 'ran.txt'
    state = {f'backbone.{k}': v for k, v in encoder.backbone.state_dict().items()}
    ckpt = crafted_checkpoint(tmp_path / 'encoder.pth', marker, dict(state_dict=state))
    work = tmp_path / 'work'
    result = run_tool(
        'tools/benchmark_demo.py', '--frames', '4', '--height', '32', '--width', '48',
        '--queries', 'grid:2', '--short-side', '32', '--config', EVAL_CONFIG,
        '--checkpoint', ckpt, '--trust-pickle', '--work-dir', work, '--seed', '3',
    )  # fmt: skip
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    video = work / 'generated_4x48x32.mp4'
    assert f'Generated {video}' in out
    assert re.search(
        r'4 frames 48x32, grid:2, encoder short side 32: .* peak RSS [\d.]+ GB', out
    ), out
    running = next(line for line in out.splitlines() if line.startswith('Running:'))
    for passed in (f'--config {EVAL_CONFIG}', f'--checkpoint {ckpt}', '--trust-pickle'):
        assert passed in running
    assert marker.exists()  # the demo loaded the crafted checkpoint, trusted
    with np.load(work / 'demo_out' / 'tracks.npz') as tracks:
        assert tracks['tracks'].shape == (4, 4, 2)  # 4 frames, a 2x2 grid
    # the scene of --seed 3, generated again by the benchmark's writer; another seed differs
    generated = frames_of(video)
    assert generated.shape == (4, 32, 48, 3)
    for seed in (3, 4):
        write_video(str(tmp_path / f'seed{seed}.mp4'), 4, 32, 48, seed)
    np.testing.assert_array_equal(frames_of(tmp_path / 'seed3.mp4'), generated)
    assert np.abs(frames_of(tmp_path / 'seed4.mp4').astype(int) - generated).mean() > 10
