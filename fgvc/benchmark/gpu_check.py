"""Prove the CUDA path in one run and write everything measured to one JSON
file: what ``tools/gpu_check.py`` runs.

Steps (each timed; a failing step is recorded and the others still run):

1. ``tests``: the CUDA-marked tests (``pytest -m cuda tests/propagation/test_devices.py``):
   correlation, the three propagation modes and the Predictor on CUDA against
   CPU, AMP training of the quickstart config against fp32.
2. ``dist_train``: ``tools/dist_train.sh`` on every GPU (NCCL) for a few
   iterations of the quickstart config, then ``--resume`` to twice as many.
3. ``dist_test``: ``tools/dist_test.sh`` on a generated TAP-Vid set.
4. ``benchmark``: ``tools/benchmark.py`` at the TAP-Vid-DAVIS workload, with
   the correlation's fraction of the device's measured fp32 matmul peak.
5. ``tapvid_davis_full``: an evaluation the size of TAP-Vid-DAVIS (30
   generated videos of 256x256, 70 frames, every point queried at stride 5)
   in this process: seconds and peak ``max_memory_allocated``.

A CPU dry run runs the same steps on the CPU with small sizes (the tests'
CPU cases, gloo instead of NCCL), so the check is known to work before a GPU
is available: ``bash tools/gpu_check.sh --cpu-dry-run``.
"""

import copy
import json
import multiprocessing
import os
import os.path as osp
import platform
import subprocess
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from fgvc.datasets.synthetic import generate_datasets, generate_video, get_preset
from fgvc.datasets.synthetic.datasets import stream_id
from fgvc.datasets.synthetic.presets import VIDEO_SCENE, sized_scene
from fgvc.datasets.synthetic.writers.tapvid import write_tapvid_pickle
from fgvc.evaluation.tasks import prepare_test_config
from fgvc.utils import register_all_modules

#: The repository holding the tools the steps run.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

QUICKSTART_CONFIG = osp.join(
    REPO_ROOT, 'configs', 'quickstart', 'mixed_train_res18_d1_l2_rec_ytv_fly.py'
)
EVAL_CONFIG = osp.join(REPO_ROOT, 'configs', 'eval', 'res18_d1_eval.py')
GIB = 2**30
OUTPUT_TAIL = 3000
#: Sizes per run: the real ones on CUDA, small ones for the CPU dry run.
SIZES = dict(
    cuda=dict(
        data_preset='quickstart',
        model_options={},
        train_iters=20,
        # the TAP-Vid-DAVIS workload and every measurement of the CPU runs
        benchmark=[
            *('--size 256 --frames 50 --predictor-frames 24 --correlation-radius 24'.split()),
            *('--scaling-sizes 128 192 256'.split()),
        ],
        full_videos=30,
        full_size=256,
        full_input=256,
        full_frames=70,
        full_points=100,
        matmul=8192,
    ),
    cpu=dict(
        data_preset='tiny',
        model_options={'model.backbone.base_channels': 8},
        train_iters=3,
        benchmark=[
            *('--size 64 --frames 6 --points 20 --modes local coarse_to_fine'.split()),
            *('--scaling-sizes --correlation-radius 2'.split()),
        ],
        full_videos=2,
        full_size=64,
        full_input=64,
        full_frames=10,
        full_points=8,
        matmul=1024,
    ),
)
QUERY_STRIDE = 5
MATMUL_REPEATS = 5


def run_command(cmd: List[str], env: Dict[str, str]) -> str:
    """Run ``cmd`` in the repository root, echoing its output; raise on failure."""
    print('$ ' + ' '.join(cmd), flush=True)
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    print(proc.stdout, flush=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f'exited with {proc.returncode}: {" ".join(cmd)}\n{proc.stdout[-OUTPUT_TAIL:]}'
        )
    return proc.stdout


class Check:
    """Shared state of one run: device, sizes, folders, environment."""

    def __init__(self, cpu_dry_run: bool, out: str, peak_gflops: Optional[float]):
        self.dry_run = cpu_dry_run
        if not self.dry_run and not torch.cuda.is_available():
            sys.exit('error: CUDA is not available; use --cpu-dry-run to check the script on CPU')
        self.device = 'cpu' if self.dry_run else 'cuda'
        self.sizes = SIZES[self.device]
        self.out = osp.abspath(out)
        os.makedirs(self.out, exist_ok=True)
        self.env = dict(os.environ, PYTHONPATH=REPO_ROOT)
        if self.dry_run:
            self.env['CUDA_VISIBLE_DEVICES'] = ''
        else:
            self.env['NCCL_DEBUG'] = 'INFO'  # the log then shows that NCCL ran
        self.procs = 1 if self.dry_run else torch.cuda.device_count()
        self.peak_gflops = peak_gflops
        self.data = osp.join(self.out, 'data')

    def path(self, *parts: str) -> str:
        return osp.join(self.out, *parts)


def junit_counts(path: str) -> Dict[str, int]:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == 'testsuite' else suite.find('testsuite')
    return {key: int(suite.get(key, 0)) for key in ('tests', 'failures', 'errors', 'skipped')}


def step_tests(check: Check) -> dict:
    report = check.path('tests.xml')
    marker = 'not cuda' if check.dry_run else 'cuda'
    # every cuda-marked test of the suite; the dry run: their cpu cases
    where = 'tests/propagation/test_devices.py' if check.dry_run else 'tests'
    cmd = [sys.executable, '-m', 'pytest', where, '-m', marker, '-rs', '-v']
    run_command(cmd + ['-p', 'no:cacheprovider', f'--junitxml={report}'], check.env)
    counts = junit_counts(report)
    if counts['tests'] - counts['skipped'] == 0:
        raise RuntimeError(f'no test ran: {counts}')
    return counts


def iteration_config(path: str, base: str, iters: int, data_root: Optional[str] = None) -> str:
    """Config ``base`` trained for ``iters`` iterations, every loss logged, a
    checkpoint at the end, on the quickstart-layout data in ``data_root`` if given."""
    data = ''
    if data_root is not None:
        labelled = osp.join(data_root, 'FlyingThings3D')
        unlabelled = osp.join(data_root, 'YouTube-VOS', 'train')
        data = f"""train_dataloader = dict(dataset=dict(
    labelled=dict(data_root={labelled!r}), unlabelled=dict(data_root={unlabelled!r})))"""
    with open(path, 'w') as f:
        f.write(f"""
_base_ = [{str(base)!r}]
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={iters})
param_scheduler = [dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval={iters}))
log_processor = dict(window_size=1, by_epoch=False)
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0)
{data}
""")
    return path


def logged_steps(work_dir: str) -> List[List[int]]:
    """Per run (timestamped folder, in order): the steps whose losses were logged."""
    runs = []
    for stamp in sorted(os.listdir(work_dir)):
        path = osp.join(work_dir, stamp, 'vis_data', 'scalars.json')
        if osp.isfile(path):
            with open(path) as f:
                entries = [json.loads(line) for line in f if line.strip()]
            runs.append([e['step'] for e in entries if 'loss' in e])
    return runs


def step_dist_train(check: Check) -> dict:
    generate_datasets(
        check.data, get_preset(check.sizes['data_preset']), formats=['flyingthings', 'youtube_vos']
    )
    iters = check.sizes['train_iters']
    cfg = iteration_config(check.path('train_iters.py'), QUICKSTART_CONFIG, iters, check.data)
    work = check.path('dist_train')
    base = ['bash', 'tools/dist_train.sh', cfg, str(check.procs), '--work-dir', work]
    start = time.perf_counter()
    first = run_command(base, check.env)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    second = run_command(
        base + ['--resume', '--cfg-options', f'train_cfg.max_iters={2 * iters}'], check.env
    )
    resume_s = time.perf_counter() - start
    runs = logged_steps(work)
    expected = [list(range(1, iters + 1)), list(range(iters + 1, 2 * iters + 1))]
    if runs != expected:
        raise RuntimeError(f'logged steps per run {runs}, expected {expected}')
    nccl = all('NCCL INFO' in out for out in (first, second))
    if not check.dry_run and not nccl:
        raise RuntimeError('the NCCL backend did not run (no NCCL INFO lines)')
    return dict(
        processes=check.procs,
        backend='gloo' if check.dry_run else 'nccl',
        iterations=iters,
        resumed_to=2 * iters,
        train_seconds=train_s,
        resume_seconds=resume_s,
    )


def cfg_options(options: Dict[str, object]) -> List[str]:
    return ['--cfg-options', *(f'{k}={v}' for k, v in options.items())] if options else []


def step_dist_test(check: Check) -> dict:
    generate_datasets(check.data, get_preset(check.sizes['data_preset']), formats=['tapvid_davis'])
    work = check.path('dist_test')
    pickle = osp.join(check.data, 'TAP-Vid', 'tapvid_davis', 'tapvid_davis.pkl')
    run_command(
        ['bash', 'tools/dist_test.sh', EVAL_CONFIG, str(check.procs), 'davis', 'none']
        + ['--data-root', pickle, '--work-dir', work, *cfg_options(check.sizes['model_options'])],
        check.env,
    )
    with open(osp.join(work, 'davis_summary.json')) as f:
        return json.load(f)


def matmul_peak_gflops(size: int, device: str) -> float:
    """Achieved fp32 GFLOP/s of a ``size`` x ``size`` matrix product (TF32 off)."""
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    a, b = (torch.randn(size, size, device=device) for _ in range(2))
    best = float('inf')
    for _ in range(MATMUL_REPEATS):
        if device == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        a @ b
        if device == 'cuda':
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    torch.backends.cuda.matmul.allow_tf32 = saved
    return 2 * size**3 / best / 1e9


def step_benchmark(check: Check) -> dict:
    measured = matmul_peak_gflops(check.sizes['matmul'], check.device)
    peak = check.peak_gflops or measured
    out = check.path('benchmark.json')
    run_command(
        [sys.executable, 'tools/benchmark.py', '--device', check.device, '--json', out]
        + ['--peak-gflops', f'{peak:.1f}', *check.sizes['benchmark']],
        check.env,
    )
    with open(out) as f:
        result = json.load(f)
    result['peak_gflops'] = dict(
        used=peak, source='given' if check.peak_gflops else 'measured fp32 matmul'
    )
    result['matmul_gflops'] = measured
    return result


def _tapvid_entry(args) -> dict:
    cfg, seed = args
    return generate_video(cfg, seed).tapvid()


def write_full_tapvid(check: Check, path: str) -> None:
    """The TAP-Vid-DAVIS-sized set, its videos generated in parallel (one per process)."""
    s = check.sizes
    scene = sized_scene(VIDEO_SCENE, s['full_size'], s['full_frames'], s['full_points'])
    sid = stream_id('tapvid_davis')
    jobs = [(scene, (0, sid, i)) for i in range(s['full_videos'])]
    with multiprocessing.Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
        entries = pool.map(_tapvid_entry, jobs)
    write_tapvid_pickle({f'synth{i:04d}': e for i, e in enumerate(entries)}, path)


def step_tapvid_davis_full(check: Check) -> dict:
    from fgvc.engine import StrictRunner

    pickle = check.path('tapvid_full', 'tapvid_davis.pkl')
    start = time.perf_counter()
    write_full_tapvid(check, pickle)
    generate_s = time.perf_counter() - start
    register_all_modules()
    cfg = Config.fromfile(EVAL_CONFIG)
    pipeline = cfg.tasks.davis.dataset.pipeline
    for transform in pipeline:
        if transform.type == 'SampleTapVidQueries':
            transform.update(query_mode='strided', query_stride=QUERY_STRIDE)
        if transform.type == 'ResizeVideo':
            transform.size = (check.sizes['full_input'],) * 2
    cfg = prepare_test_config(
        copy.deepcopy(cfg),
        'davis',
        work_dir=check.path('tapvid_full_eval'),
        data_root=pickle,
        options=check.sizes['model_options'],
    )
    runner = StrictRunner.from_cfg(cfg)
    if check.device == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    metrics = runner.test()
    if check.device == 'cuda':
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / GIB if check.device == 'cuda' else None
    print(f'TAP-Vid-DAVIS-sized evaluation: {seconds:.1f} s, peak max_memory_allocated {peak} GiB')
    return dict(
        videos=check.sizes['full_videos'],
        size=check.sizes['full_size'],
        input=check.sizes['full_input'],
        frames=check.sizes['full_frames'],
        points=check.sizes['full_points'],
        query_mode='strided',
        query_stride=QUERY_STRIDE,
        generate_seconds=generate_s,
        seconds=seconds,
        peak_max_memory_allocated_gib=peak,
        metrics=metrics,
    )


STEPS: Dict[str, Callable[[Check], dict]] = dict(
    tests=step_tests,
    dist_train=step_dist_train,
    dist_test=step_dist_test,
    benchmark=step_benchmark,
    tapvid_davis_full=step_tapvid_davis_full,
)


def environment(check: Check) -> dict:
    info = dict(
        python=platform.python_version(),
        torch=torch.__version__,
        device=check.device,
        cpu_threads=torch.get_num_threads(),
        processes=check.procs,
    )
    if check.device == 'cuda':
        props = torch.cuda.get_device_properties(0)
        info.update(
            cuda=torch.version.cuda,
            gpus=torch.cuda.device_count(),
            gpu=props.name,
            gpu_memory_gib=props.total_memory / GIB,
        )
    return info


def run_gpu_check(
    cpu_dry_run: bool = False,
    out: str = osp.join('work_dirs', 'gpu_check'),
    steps: Sequence[str] = tuple(STEPS),
    peak_gflops: Optional[float] = None,
) -> int:
    """Run ``steps`` (each timed; a failed one is recorded and the next runs),
    write ``<out>/gpu_check.json`` and return the exit status (1 if any failed)."""
    check = Check(cpu_dry_run, out, peak_gflops)
    results = dict(environment=environment(check), steps={})
    start = time.perf_counter()
    for name in steps:
        step = STEPS[name]
        print(f'\n===== {name} =====', flush=True)
        step_start = time.perf_counter()
        try:
            entry = dict(status='passed', result=step(check))
        except Exception as error:  # a failed step is recorded, the next one runs
            traceback.print_exc()
            entry = dict(status='failed', error=str(error)[-OUTPUT_TAIL:])
        entry['seconds'] = time.perf_counter() - step_start
        results['steps'][name] = entry
        print(f'----- {name}: {entry["status"]} in {entry["seconds"]:.1f} s', flush=True)
    results['seconds'] = time.perf_counter() - start
    path = check.path('gpu_check.json')
    with open(path, 'w') as f:
        json.dump(results, f, indent=2, default=float)
    print(json.dumps(results, indent=2, default=float))
    failed = [name for name, entry in results['steps'].items() if entry['status'] != 'passed']
    print(f'\nWritten {path}; {"FAILED: " + ", ".join(failed) if failed else "all steps passed"}')
    return 1 if failed else 0
