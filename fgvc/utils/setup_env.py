"""Process-level set-up shared by the tools: registries, loaders, distributed."""

import ctypes
import datetime
import os
import signal
import sys

import torch
import torch.distributed as dist
from mmengine.registry import Registry, init_default_scope

from fgvc import registry

from .checkpoint import register_checkpoint_loader

PR_SET_PDEATHSIG = 1  # prctl option: signal sent to this process when its parent dies


def register_all_modules(init_scope: bool = True) -> None:
    """Import every module that registers something and set the fgvc scope.

    Each registry imports the modules of its ``locations`` (mmengine's own
    mechanism), so this module imports nothing above it.
    """
    for value in vars(registry).values():
        if isinstance(value, Registry):
            value.import_from_location()
    register_checkpoint_loader()
    if init_scope:
        init_default_scope('fgvc')


def _slurm_to_torch_env(port: int) -> None:
    """Translate SLURM's process variables into torch.distributed's."""
    import subprocess

    node_list = os.environ['SLURM_NODELIST']
    master = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
    os.environ.setdefault('MASTER_ADDR', master)
    os.environ.setdefault('MASTER_PORT', str(port))
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    num_gpus = max(torch.cuda.device_count(), 1)
    os.environ['LOCAL_RANK'] = str(int(os.environ['SLURM_PROCID']) % num_gpus)


def die_with_launcher() -> None:
    """Have this worker killed when the process that started it dies (Linux).

    A launcher killed with SIGKILL cannot stop its workers, which would keep
    writing results next to a rerun of the same job.
    """
    if not sys.platform.startswith('linux'):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return
    if os.getppid() == 1:  # the launcher died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def init_distributed(launcher: str, port: int = 29500, timeout_s: int = 1800) -> bool:
    """Start the process group for ``launcher`` ('none', 'pytorch', 'slurm').

    NCCL is used when CUDA is present, gloo otherwise. mmengine's own
    ``init_dist`` assumes CUDA, so CPU runs start the group here and the Runner
    finds it already initialised. Returns whether the run is distributed.
    """
    if launcher == 'none':
        return False
    if launcher == 'slurm':
        _slurm_to_torch_env(port)
    elif launcher == 'pytorch':
        die_with_launcher()
    else:
        raise ValueError(f"Unknown launcher '{launcher}': use none, pytorch or slurm")
    if dist.is_initialized():
        return True
    use_cuda = torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get('LOCAL_RANK', 0)))
    dist.init_process_group(
        backend='nccl' if use_cuda else 'gloo', timeout=datetime.timedelta(seconds=timeout_s)
    )
    return True


def finish_distributed() -> None:
    """Wait for every rank, then close the process group.

    A rank that exits while the others still use the group can abort in
    gloo's teardown ("terminate called without an active exception").
    """
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
