"""Which encoder weights a checkpoint argument names, and loading them.

The rule, the same for :class:`~fgvc.apis.Predictor` and every tool's
``--checkpoint``:

- ``'default'`` (what they use when no checkpoint is given): the zoo's
  default model (:mod:`fgvc.models.zoo`), when the zoo has one for the
  config's encoder type; otherwise the encoder stays untrained and a warning
  says that no model is shipped for it.
- ``'zoo:NAME'``: the zoo's model NAME (an error if there is none, or if it
  fits another encoder type).
- ``None`` or ``'none'`` (any case): the untrained encoder, as asked; no warning.
- anything else: a checkpoint file, a ``last_checkpoint`` file or a training
  work dir (:class:`fgvc.utils.EncoderCheckpoint`).

Zoo weights are checked against the manifest's sha256 before they are read,
then loaded by the same strict loader as any checkpoint.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from fgvc.models.zoo import ZOO_PREFIX, Zoo, ZooDir, ZooModel
from fgvc.utils import EncoderCheckpoint

#: The checkpoint argument that means the zoo's default model.
DEFAULT_WEIGHTS = 'default'
#: The checkpoint argument (any case) that means the untrained encoder.
UNTRAINED = 'none'
#: How tools' ``--checkpoint`` help describes the choices.
CHECKPOINT_HELP = (
    'encoder weights: a checkpoint file, its last_checkpoint file or a training work dir; '
    f"'{DEFAULT_WEIGHTS}' for the model shipped with the package (untrained, with a warning, "
    f"when none is shipped), '{ZOO_PREFIX}NAME' for another shipped model, "
    f"'{UNTRAINED}' for the untrained encoder"
)


@dataclass
class Weights:
    """The weights a checkpoint argument resolved to.

    Attributes:
        checkpoint: the weights read, or None for an untrained encoder.
        options: config overrides that build the encoder they fit.
        description: what a console line should say about them.
        model: the zoo model, when they come from the zoo.
        fallback: why the default left the encoder untrained (the zoo has
            no model for the config's encoder), or None.
    """

    checkpoint: Optional[EncoderCheckpoint]
    description: str
    options: Dict[str, Any] = field(default_factory=dict)
    model: Optional[ZooModel] = None
    fallback: Optional[str] = None

    @property
    def path(self) -> Optional[str]:
        return None if self.checkpoint is None else self.checkpoint.path


def encoder_type_of(config: Mapping, options: Optional[Mapping] = None) -> Optional[str]:
    """The encoder type a config (with ``--cfg-options``) builds."""
    options = options or {}
    if 'model.backbone.type' in options:
        return options['model.backbone.type']
    return config.get('model', {}).get('backbone', {}).get('type')


def is_untrained_arg(checkpoint: Optional[str]) -> bool:
    """Whether a checkpoint argument asks for the untrained encoder."""
    return checkpoint is None or (isinstance(checkpoint, str) and checkpoint.lower() == UNTRAINED)


def names_no_file(checkpoint: Optional[str]) -> bool:
    """Whether a checkpoint argument is one of the rule's words (untrained,
    default, a zoo model) rather than a path."""
    return (
        is_untrained_arg(checkpoint)
        or checkpoint == DEFAULT_WEIGHTS
        or checkpoint.startswith(ZOO_PREFIX)
    )


def no_default_message(zoo: Zoo, encoder_type: Optional[str]) -> str:
    """Why the default left the encoder untrained."""
    if zoo.default is None:
        return f'no model is shipped with this installation ({zoo.manifest_path} lists none)'
    return (
        f'the shipped default {zoo.default.name} is a {zoo.default.encoder_type} encoder, '
        f'the config builds a {encoder_type}'
    )


def load_zoo_model(model: ZooModel) -> Weights:
    """A zoo model's weights, checked against its sha256 and read."""
    with model.verified_file() as path:
        checkpoint = EncoderCheckpoint(str(path))
    return Weights(
        checkpoint,
        model.describe(),
        options={**checkpoint.options, **model.options},
        model=model,
    )


def resolve_weights(
    checkpoint: Optional[str],
    trust: bool = False,
    encoder_type: Optional[str] = None,
    zoo_dir: Optional[ZooDir] = None,
) -> Weights:
    """Read the weights ``checkpoint`` names (the rule in the module docstring).

    Args:
        checkpoint: the checkpoint argument.
        trust: allow full unpickling of a checkpoint file.
        encoder_type: the config's encoder type: the default model is used
            only for it (None: any).
        zoo_dir: the zoo folder (default: ``$FGVC_ZOO`` or the package's).

    Raises:
        fgvc.models.zoo.ZooError: ``zoo:NAME`` names no model, or the
            manifest is broken.
        ValueError: ``zoo:NAME`` fits another encoder type.
        fgvc.models.zoo.HashMismatchError: a zoo file's sha256 is wrong.
        FileNotFoundError, UnsafeCheckpointError: as
            :class:`~fgvc.utils.EncoderCheckpoint`.
    """
    if is_untrained_arg(checkpoint):
        return Weights(None, f"untrained encoder (random weights), as '{UNTRAINED}' asks")
    if checkpoint == DEFAULT_WEIGHTS:
        zoo = Zoo(zoo_dir)
        model = zoo.default
        if model is None or encoder_type not in (None, model.encoder_type):
            reason = no_default_message(zoo, encoder_type)
            return Weights(None, f'untrained encoder (random weights): {reason}', fallback=reason)
        return load_zoo_model(model)
    if checkpoint.startswith(ZOO_PREFIX):
        zoo = Zoo(zoo_dir)
        model = zoo.get(checkpoint[len(ZOO_PREFIX) :])
        if encoder_type not in (None, model.encoder_type):
            raise ValueError(
                f'Zoo model {model.name} is a {model.encoder_type} encoder, but the config '
                f'builds a {encoder_type}'
            )
        return load_zoo_model(model)
    weights = EncoderCheckpoint(checkpoint, trust)
    return Weights(weights, f'checkpoint {weights.path}', options=dict(weights.options))
