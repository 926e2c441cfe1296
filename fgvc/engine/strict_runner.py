"""A Runner whose ``load_from`` and ``resume`` load strictly."""

from typing import Any, Callable, List, Optional, Tuple, Union

from mmengine.logging import MessageHub, MMLogger
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from mmengine.visualization import Visualizer

from fgvc.utils import CheckpointMismatchError, load_model_state
from fgvc.utils.checkpoint import use_strict_pretrained

#: What an error of ``load_from`` tells the user to do instead.
ENCODER_ONLY_HINT = (
    'load_from restores the whole model; to start the encoder (or the teacher) from a '
    "checkpoint, set its init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')"
)


class StrictRunner(Runner):
    """mmengine's Runner, whose ``load_from`` and ``resume`` read the file with
    the framework's loader (:func:`fgvc.utils.load_model_state`): the
    checkpoint must fit the whole model, every key by name and shape (a
    ResNet stage the model does not build is dropped with a log line), and a
    release-layout checkpoint is converted with a log line. mmengine's own
    loads with ``strict=False``, which leaves unmatched weights random with a
    warning. Building one also makes ``init_cfg=dict(type='Pretrained')``
    strict (:func:`fgvc.utils.checkpoint.use_strict_pretrained`): the model's
    weights are initialised when the Runner trains."""

    def __init__(self, *args, **kwargs) -> None:
        use_strict_pretrained()
        super().__init__(*args, **kwargs)

    # mmengine names an experiment after its config and start second, and
    # looks its logger, message hub and visualizer up by that name: a second
    # run started in the same second of one process would log to the first's
    # console handler and files. A name already taken gets a suffix.
    @property
    def _experiment_name(self) -> str:
        return self._unique_experiment_name

    @_experiment_name.setter
    def _experiment_name(self, name: str) -> None:
        unique, number = name, 1
        while any(
            kind.check_instance_created(unique) for kind in (MMLogger, MessageHub, Visualizer)
        ):
            number += 1
            unique = f'{name}_{number}'
        self._unique_experiment_name = unique

    def load_checkpoint(
        self,
        filename: str,
        map_location: Union[str, Callable] = 'cpu',
        strict: bool = True,
        revise_keys: Optional[List[Tuple[str, str]]] = None,
    ) -> Any:
        """Load ``filename`` into the model, strictly; returns the checkpoint.

        Raises:
            ValueError: ``strict=False`` or ``revise_keys`` are asked for
                (loading here is strict and the keys are this framework's).
            CheckpointMismatchError: the checkpoint does not fit the model
                (the message names the file and the keys).
        """
        if not strict or revise_keys:
            raise ValueError(
                f'{type(self).__name__} loads checkpoints strictly, without revise_keys'
            )
        checkpoint = _load_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        try:
            load_model_state(model, checkpoint, filename)
        except CheckpointMismatchError as error:
            raise CheckpointMismatchError(f'{error}\n({ENCODER_ONLY_HINT})') from None
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
