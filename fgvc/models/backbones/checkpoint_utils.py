"""Turn third-party ResNet checkpoints into state dicts of our backbone.

Checkpoints of ImageNet, MoCo, DetCo or DINO training nest their weights
(``state_dict`` / ``model`` / ``module``) and prefix their keys with wrapper
names (``module.encoder_q.conv1.weight``). The helpers here unwrap them,
strip the prefixes, drop classifier heads and compare the result with a
model, reporting missing, unexpected and wrong-shape keys.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from torch import Tensor, nn

NESTED_KEYS: Tuple[str, ...] = ('state_dict', 'model', 'module')
WRAPPER_PREFIXES: Tuple[str, ...] = ('module.', 'encoder_q.', 'encoder.', 'backbone.', 'student.')
HEAD_PREFIXES: Tuple[str, ...] = ('fc.', 'head.', 'heads.', 'neck.')


def extract_state_dict(
    checkpoint: dict, nested_keys: Sequence[str] = NESTED_KEYS
) -> Dict[str, Tensor]:
    """Descend into ``state_dict`` / ``model`` / ``module`` sub-dicts while
    present and return the tensors of the innermost one."""
    state = checkpoint
    while True:
        inner = next((state[key] for key in nested_keys if isinstance(state.get(key), dict)), None)
        if inner is None:
            break
        state = inner
    return {k: v for k, v in state.items() if isinstance(v, Tensor)}


def strip_prefixes(
    state_dict: Dict[str, Tensor], prefixes: Sequence[str] = WRAPPER_PREFIXES
) -> Dict[str, Tensor]:
    """Remove any of ``prefixes`` from the start of every key, repeatedly
    (``module.encoder_q.conv1.weight`` -> ``conv1.weight``).

    Raises:
        ValueError: if two keys become the same key.
    """
    stripped: Dict[str, Tensor] = {}
    for key, value in state_dict.items():
        new_key = key
        while True:
            prefix = next((p for p in prefixes if new_key.startswith(p)), None)
            if prefix is None:
                break
            new_key = new_key[len(prefix) :]
        if new_key in stripped:
            raise ValueError(
                f'stripping {list(prefixes)} maps two keys to {new_key!r} (the last one: {key!r})'
            )
        stripped[new_key] = value
    return stripped


def drop_prefixed(
    state_dict: Dict[str, Tensor], prefixes: Sequence[str] = HEAD_PREFIXES
) -> Dict[str, Tensor]:
    """Drop the keys that start with any of ``prefixes`` (classifier heads)."""
    return {k: v for k, v in state_dict.items() if not k.startswith(tuple(prefixes))}


@dataclass
class LoadReport:
    """What happens when a state dict is loaded into a model."""

    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    # (key, shape in the checkpoint, shape in the model)
    mismatched: List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether every key matched by name and shape."""
        return not (self.missing or self.unexpected or self.mismatched)

    def format(self) -> str:
        """Human-readable summary; unexpected keys are grouped by their
        first component (``encoder_k.* (122 keys)``)."""
        if self.clean:
            return 'all keys match the model'
        lines = [f'missing in the checkpoint: {key}' for key in self.missing]
        groups = Counter(key.split('.')[0] for key in self.unexpected)
        lines += [
            f'unexpected (dropped): {name}.* ({count} keys)'
            if count > 1
            else f'unexpected (dropped): {name}'
            for name, count in groups.items()
        ]
        lines += [
            f'shape mismatch (dropped): {key}: checkpoint {list(ckpt)}, model {list(model)}'
            for key, ckpt, model in self.mismatched
        ]
        return '\n'.join(lines)


def match_state_dict(
    model: nn.Module, state_dict: Dict[str, Tensor]
) -> Tuple[Dict[str, Tensor], LoadReport]:
    """Load ``state_dict`` into ``model`` non-strictly and report how it went.

    Returns:
        The subset of ``state_dict`` that matches the model by name and shape
        (it loads into ``model`` without errors), and the report; keys of
        the wrong shape are listed as mismatched, not as missing.
    """
    model_state = model.state_dict()
    mismatched = [
        (key, tuple(value.shape), tuple(model_state[key].shape))
        for key, value in state_dict.items()
        if key in model_state and value.shape != model_state[key].shape
    ]
    wrong = {key for key, _, _ in mismatched}
    matched = {k: v for k, v in state_dict.items() if k in model_state and k not in wrong}
    result = model.load_state_dict(matched, strict=False)
    report = LoadReport(
        missing=[k for k in result.missing_keys if k not in wrong],
        unexpected=[k for k in state_dict if k not in model_state],
        mismatched=mismatched,
    )
    return matched, report
