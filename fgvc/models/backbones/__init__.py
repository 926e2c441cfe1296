from .checkpoint_utils import (
    LoadReport,
    ReleaseConversion,
    convert_release_state_dict,
    drop_prefixed,
    extract_state_dict,
    is_release_layout,
    match_state_dict,
    strip_prefixes,
)
from .resnet import ResNet

__all__ = [
    'ResNet',
    'LoadReport',
    'ReleaseConversion',
    'convert_release_state_dict',
    'drop_prefixed',
    'is_release_layout',
    'extract_state_dict',
    'match_state_dict',
    'strip_prefixes',
]
from .lab_patch import RawPatchEncoder  # noqa: F401
