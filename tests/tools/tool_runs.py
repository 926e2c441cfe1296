"""Running the tools through their real entry points, and what hostile
inputs they are given: tiny TAP-Vid data, crafted pickles, checkpoints cut
short, names that are not UTF-8."""

import dataclasses
import importlib.util
import os
import pickle
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RAW_CONFIG = str(ROOT / 'configs/eval/raw_patch_eval.py')
EVAL_CONFIG = str(ROOT / 'configs/eval/res18_d1_eval.py')
QUICKSTART_CONFIG = str(ROOT / 'configs/quickstart/mixed_train_res18_d1_l2_rec_ytv_fly.py')
#: Encoder input of the evaluation runs: small, so that a run takes seconds.
SMALL_INPUT = 'model.data_preprocessor.input_size=(32,32)'
RUN_TIMEOUT_S = 600


def load_tool(name: str) -> ModuleType:
    """``tools/<name>.py`` as a module, to call its ``main``."""
    spec = importlib.util.spec_from_file_location(f'tool_{name}', ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*args: str, env: dict = None) -> subprocess.CompletedProcess:
    """``python <args>`` from the repository root, as a user runs a tool."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1', **(env or {}))
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        timeout=RUN_TIMEOUT_S,
    )


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one-line error a failed run ends with; fails unless the run
    failed with an ``error:`` line and no traceback or crash."""
    stderr = result.stderr.decode('utf-8', 'backslashreplace')
    assert result.returncode == 1, (result.returncode, stderr[-3000:])
    assert 'Traceback' not in stderr, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith('error: '), stderr[-3000:]
    return last


def exit_message(error) -> str:
    """The message of a ``SystemExit`` from a tool's main: one ``error:`` line."""
    message = error.value.code
    assert isinstance(message, str) and message.startswith('error: '), message
    assert '\n' not in message, message
    return message


def generate_tapvid(out: Path, seed: int, videos: int = 3) -> Path:
    """A TAP-Vid-DAVIS pickle of ``videos`` tiny generated videos (names
    synth0000, ...; the seed changes their content, not their names)."""
    from fgvc.datasets.synthetic import generate_datasets, get_preset

    preset = dataclasses.replace(get_preset('tiny'), tapvid_davis=videos)
    generate_datasets(str(out), preset, seed=seed, formats=['tapvid_davis'])
    return out / 'TAP-Vid' / 'tapvid_davis' / 'tapvid_davis.pkl'


class WritesFile:
    """Unpickling this runs ``exec``, which creates the file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return exec, (f'open({self.path!r}, "w").close()',)


def crafted_tapvid(path: Path, marker: Path) -> Path:
    """A TAP-Vid pickle of one valid video that also holds a :class:`WritesFile`."""
    video = dict(
        video=np.zeros((3, 16, 16, 3), np.uint8),
        points=np.full((1, 3, 2), 0.5, np.float32),
        occluded=np.zeros((1, 3), bool),
        note=WritesFile(marker),
    )
    path.write_bytes(pickle.dumps({'v0': video}))
    return path


def crafted_checkpoint(path: Path, marker: Path, checkpoint: dict) -> Path:
    """``checkpoint`` saved at ``path`` with a :class:`WritesFile` in its
    ``meta``: it loads only with --trust-pickle, which creates ``marker``."""
    meta = dict(checkpoint.get('meta', {}), note=WritesFile(marker))
    import torch

    torch.save(dict(checkpoint, meta=meta), path)
    return path


def non_utf8(folder: Path, name: bytes) -> str:
    """``folder/name`` for a name of bytes that are not UTF-8, as Python
    gives such a path (surrogate escapes)."""
    assert not _is_utf8(name)
    return os.fsdecode(os.path.join(os.fsencode(str(folder)), name))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode('utf-8')
    except UnicodeDecodeError:
        return False
    return True


def write_avi(path: str, frames: np.ndarray, fps: float = 10) -> str:
    """RGB frames as a lossless AVI at ``path`` (any name)."""
    import cv2

    from fgvc.fileio import OpenCVPath

    with OpenCVPath(path, write=True) as alias:
        height, width = frames.shape[1:3]
        writer = cv2.VideoWriter(alias.path, cv2.VideoWriter_fourcc(*'FFV1'), fps, (width, height))
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
        writer.release()
    return path


def moving_frames(seed: int, frames: int = 4, height: int = 32, width: int = 48) -> np.ndarray:
    """A random texture moving one pixel a frame, uint8 RGB ``[T, H, W, 3]``."""
    texture = np.random.default_rng(seed).integers(0, 256, (height, width + frames, 3), np.uint8)
    return np.stack([texture[:, t : t + width] for t in range(frames)])
