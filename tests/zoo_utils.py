"""A model zoo for the tests: one model published from a checkpoint trained here."""

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
from train_utils import REPO_ROOT, generate_tiny, write_tiny_config

from fgvc.fileio.video_reader import open_video

#: The published model's name, and the encoder width the tiny config trains.
TINY_MODEL, TINY_WIDTH = 'tiny_r18', 8
#: The repository config the tiny one inherits, as the manifest records it.
TINY_TRAIN_CONFIG = 'configs/quickstart/mixed_train_res18_d1_l2_rec_ytv_fly.py'


@dataclass
class TinyZoo:
    zoo_dir: Path
    work_dir: Path
    checkpoint: Path
    data_root: Path
    publish_output: str
    #: The training config the checkpoint was trained with.
    config: Path


def load_tool(name: str):
    """A script of tools/ as a module (its ``main(argv)`` is the real entry point)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def publish_tiny_model(folder: Path) -> TinyZoo:
    """Generate the tiny data, train one epoch with tools/train.py and publish
    the checkpoint into ``folder/zoo`` with tools/publish_model.py."""
    data_root = generate_tiny(folder / 'data')
    config = write_tiny_config(folder / 'tiny_zoo_recipe.py', data_root, epochs=1)
    work_dir = folder / 'work'
    zoo_dir = folder / 'zoo'
    train = [str(REPO_ROOT / 'tools/train.py'), str(config), '--work-dir', str(work_dir)]
    publish = [
        str(REPO_ROOT / 'tools/publish_model.py'),
        str(work_dir),
        '--name',
        TINY_MODEL,
        '--zoo',
        str(zoo_dir),
        '--train-config',
        TINY_TRAIN_CONFIG,
    ]
    run_tool(train)
    result = run_tool(publish)
    return TinyZoo(
        zoo_dir, work_dir, work_dir / 'epoch_1.pth', data_root, result.stdout, Path(config)
    )


def run_tool(command: list) -> subprocess.CompletedProcess:
    """Run a tool of the repository (script path and arguments) on one thread."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS='1')
    result = subprocess.run(
        [sys.executable, *command], capture_output=True, text=True, cwd=REPO_ROOT, env=env
    )
    assert result.returncode == 0, f'{command[0]} failed:\n{result.stderr[-3000:]}'
    return result


def train_second_stage(zoo: TinyZoo, folder: Path) -> Path:
    """Train one more epoch of the tiny config starting from the zoo's
    checkpoint (``load_from``), as a training in stages does; its work dir."""
    config = folder / 'tiny_second_stage.py'
    config.write_text(f"_base_ = ['{zoo.config}']\nload_from = '{zoo.checkpoint}'\n")
    work_dir = folder / 'second_stage'
    run_tool([str(REPO_ROOT / 'tools/train.py'), str(config), '--work-dir', str(work_dir)])
    return work_dir


def zoo_clip(zoo: TinyZoo, folder: Path) -> dict:
    """A generated YouTube-VOS-style sequence of the zoo's tiny data: its frame
    folder (``frames_dir``), its ``frames`` and the same frames as a lossless
    .avi in ``folder`` (``avi``) for the stream tool."""
    frames_dir = sorted((zoo.data_root / 'YouTube-VOS/train/JPEGImages').iterdir())[0]
    reader = open_video(str(frames_dir))
    frames = reader.read(0, len(reader))
    avi = folder / 'clip.avi'
    writer = cv2.VideoWriter(
        str(avi), cv2.VideoWriter_fourcc(*'FFV1'), 10, (frames.shape[2], frames.shape[1])
    )
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return dict(frames_dir=frames_dir, frames=frames, avi=avi)
