from .checkpoint import (
    TRUST_FLAG,
    WEIGHT_FORMATS,
    CheckpointMismatchError,
    EncoderCheckpoint,
    StrictPretrainedInit,
    UnsafeCheckpointError,
    load_checkpoint,
    load_encoder_weights,
    load_model_state,
    load_pretrained,
    register_checkpoint_loader,
    save_weights,
)
from .checkpoint_files import (
    LAST_CHECKPOINT,
    find_resume_checkpoint,
    latest_checkpoint,
    resolve_checkpoint,
    write_last_checkpoint,
)
from .config import check_config, check_override_keys
from .setup_env import finish_distributed, init_distributed, register_all_modules

__all__ = [
    'TRUST_FLAG',
    'WEIGHT_FORMATS',
    'CheckpointMismatchError',
    'EncoderCheckpoint',
    'StrictPretrainedInit',
    'UnsafeCheckpointError',
    'load_checkpoint',
    'load_encoder_weights',
    'load_model_state',
    'load_pretrained',
    'register_checkpoint_loader',
    'save_weights',
    'LAST_CHECKPOINT',
    'find_resume_checkpoint',
    'latest_checkpoint',
    'resolve_checkpoint',
    'write_last_checkpoint',
    'check_config',
    'check_override_keys',
    'finish_distributed',
    'init_distributed',
    'register_all_modules',
]
