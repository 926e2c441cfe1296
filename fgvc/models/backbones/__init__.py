from .checkpoint_utils import (
    LoadReport,
    drop_prefixed,
    extract_state_dict,
    match_state_dict,
    strip_prefixes,
)
from .resnet import ResNet

__all__ = [
    'ResNet',
    'LoadReport',
    'drop_prefixed',
    'extract_state_dict',
    'match_state_dict',
    'strip_prefixes',
]
from .lab_patch import RawPatchEncoder  # noqa: F401
