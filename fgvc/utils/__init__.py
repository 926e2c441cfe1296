from .checkpoint import load_encoder_weights, load_trusted_checkpoint, register_checkpoint_loader
from .config import check_override_keys
from .setup_env import finish_distributed, init_distributed, register_all_modules

__all__ = [
    'load_encoder_weights',
    'load_trusted_checkpoint',
    'register_checkpoint_loader',
    'check_override_keys',
    'finish_distributed',
    'init_distributed',
    'register_all_modules',
]
