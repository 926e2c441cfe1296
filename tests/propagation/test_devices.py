"""The same computations on CPU and on CUDA.

Every test runs once per device: the ``cpu`` case belongs to the normal suite
(small sizes, it proves the test body works), the ``cuda`` case is marked
``cuda`` and skipped, with the reason shown, where CUDA is absent;
``tools/gpu_check.sh`` runs ``pytest -m cuda``. Results on the device are
compared with the CPU's (or a float64 reference). TF32 is switched off in
these tests: it rounds matrix products to 10 mantissa bits, which is a
precision choice, not a device difference.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from test_propagation_modes import queries_at, smooth_features
from train_utils import REPO_ROOT, generate_tiny, write_tiny_config

from fgvc.apis import Predictor
from fgvc.benchmark import gpu_check
from fgvc.datasets.synthetic import generate_video
from fgvc.datasets.synthetic.presets import VIDEO_SCENE, sized_scene
from fgvc.models.ops import local_correlation, local_correlation_fast
from fgvc.propagation import (
    CoarseToFineMatcher,
    DenseMatcher,
    LocalMatcher,
    PropagationConfig,
    track_points_with_peaks,
)

CUDA = pytest.param(
    'cuda',
    marks=[
        pytest.mark.cuda,
        pytest.mark.skipif(not torch.cuda.is_available(), reason='CUDA is absent'),
    ],
)
DEVICES = ['cpu', CUDA]
#: Per device: small on CPU (normal suite), the real sizes on CUDA.
SIZES = dict(
    correlation=dict(cpu=(1, 16, 12, 14, 3), cuda=(2, 64, 48, 56, 12)),
    propagation=dict(cpu=(6, 16, 14, 18), cuda=(12, 64, 48, 48)),
    video=dict(cpu=(48, 6, 12), cuda=(128, 16, 40)),
)
AMP_ITERS = dict(cpu=4, cuda=30)
AMP_LOSSES = ('loss', 'sup_loss', 'l1_loss', 'corr_da_loss')
AMP_TOLERANCE = 0.05
AMP_LAST = 10  # iterations averaged for the fp32/AMP comparison


@pytest.fixture(autouse=True)
def no_tf32():
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dilation', [1, 2])
def test_fast_correlation_matches_the_reference(device, dilation):
    batch, channels, height, width, radius = SIZES['correlation'][device]
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randn(batch, channels, height, width, generator=gen) for _ in range(2)]
    grad = torch.randn(batch, (2 * radius + 1) ** 2, height, width, generator=gen)

    def run(fn, dtype, dev):
        feats = [x.to(dev, dtype, copy=True).requires_grad_() for x in inputs]
        out = fn(*feats, radius, dilation)
        out.backward(grad.to(dev, dtype))
        return [t.detach().cpu().double() for t in (out, *(f.grad for f in feats))]

    expected = run(local_correlation, torch.float64, 'cpu')
    for fn in (local_correlation, local_correlation_fast):
        for name, ref, got in zip(
            ('output', 'grad1', 'grad2'), expected, run(fn, torch.float32, device)
        ):
            error = (ref - got).abs().max().item()
            assert error < 1e-4, f'{fn.__name__} {name} on {device}: max error {error:.2e}'


MATCHERS = dict(
    dense=lambda: DenseMatcher(12, step=64),
    local=lambda: LocalMatcher(12),
    coarse_to_fine=lambda: CoarseToFineMatcher(),
)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('mode', sorted(MATCHERS))
def test_propagation_gives_the_same_tracks_as_on_cpu(device, mode):
    frames, channels, h, w = SIZES['propagation'][device]
    raster = (2 * h, 2 * w)
    features = smooth_features(frames, channels, h, w, (1, -1), seed=0)
    queries = queries_at([0, 2, frames // 2], 24, raster, seed=1)
    cfg = PropagationConfig(precede_frames=3, bidirectional=True, matcher=MATCHERS[mode]())
    cpu = track_points_with_peaks(features, queries, raster, cfg)
    dev = track_points_with_peaks(features.to(device), queries.to(device), raster, cfg)
    assert dev[0].device.type == device
    assert (dev[0].cpu() - cpu[0]).abs().max() < 1e-3
    assert (dev[1].cpu() - cpu[1]).abs().max() < 1e-4


def make_video(size: int, frames: int, points: int):
    video = generate_video(sized_scene(VIDEO_SCENE, size, frames, points), (0, size))
    visible_at_0 = ~video.tracks.occluded[:, 0]
    xy = video.tracks.points[visible_at_0, 0]
    return video.video, np.concatenate([np.zeros((len(xy), 1)), xy], 1)


@pytest.mark.parametrize('device', DEVICES)
def test_predictor_outputs_on_the_device_equal_cpu(device):
    size, frames, points = SIZES['video'][device]
    video, queries = make_video(size, frames, points)
    queries[len(queries) // 2 :, 0] = frames // 2  # some queries mid-video: both directions
    results = []
    for dev in ('cpu', device):
        torch.manual_seed(0)  # the same untrained weights on both devices
        predictor = Predictor(
            device=dev, cfg_options={'model.backbone.base_channels': 16}, warn_untrained=False
        )
        assert next(predictor.model('davis').parameters()).device.type == dev
        results.append(predictor(video, queries))
    (cpu_tracks, cpu_visible), (dev_tracks, dev_visible) = results
    assert np.abs(dev_tracks - cpu_tracks).max() < 1e-3
    assert (dev_visible == cpu_visible).mean() > 0.99  # thresholded confidences may flip at 0.5


def losses_by_step(work_dir: Path) -> dict:
    steps = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if 'loss' in entry:
                steps[entry['step']] = {k: entry[k] for k in AMP_LOSSES}
    return steps


@pytest.mark.parametrize('device', DEVICES)
def test_amp_training_keeps_losses_finite_and_close_to_fp32(device, tmp_path):
    """CUDA: the quickstart config, fp32 and ``--amp``. CPU: mmengine's AMP
    wrapper needs an accelerator, so the tiny config runs fp32 twice; that
    checks the runs and the comparison, not mixed precision."""
    iters = AMP_ITERS[device]
    data = generate_tiny(tmp_path / 'data')
    if device == 'cuda':
        cfg = gpu_check.iteration_config(
            str(tmp_path / 'iters.py'), gpu_check.QUICKSTART_CONFIG, iters, str(data)
        )
        second = ['--amp']
    else:
        base = write_tiny_config(tmp_path / 'tiny.py', data)
        cfg = gpu_check.iteration_config(str(tmp_path / 'iters.py'), str(base), iters)
        second = []
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    if device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = ''
    runs = {}
    for name, extra in (('fp32', []), ('amp', second)):
        work = tmp_path / name
        cmd = [sys.executable, 'tools/train.py', cfg, '--work-dir', str(work), *extra]
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
        runs[name] = losses_by_step(work)
    assert sorted(runs['fp32']) == sorted(runs['amp']) == list(range(1, iters + 1))
    last = list(range(max(1, iters - AMP_LAST + 1), iters + 1))
    for key in AMP_LOSSES:
        values = {name: np.array([run[s][key] for s in sorted(run)]) for name, run in runs.items()}
        assert np.isfinite(values['amp']).all(), f'{key} not finite with AMP: {values["amp"]}'
        fp32, amp = (values[name][np.array(last) - 1].mean() for name in ('fp32', 'amp'))
        assert abs(amp - fp32) <= AMP_TOLERANCE * abs(fp32), (key, fp32, amp)


def test_cuda_tests_skip_with_the_reason_where_cuda_is_absent():
    if torch.cuda.is_available():
        pytest.skip('CUDA is present: the cuda cases run')
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', __file__, '-m', 'cuda', '-rs', '-q', '-k', 'correlation'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert 'SKIPPED' in proc.stdout and 'CUDA is absent' in proc.stdout, proc.stdout
    assert ' passed' not in proc.stdout, proc.stdout
