"""One labelled and one unlabelled pair per training sample."""

import copy
from typing import List, Union

import numpy as np
from mmengine.dataset import Compose

from fgvc.registry import DATASETS

UNLABELLED_CHOICES = ('random', 'modulo')


@DATASETS.register_module()
class MixedPairs:
    """Pairs every item of ``labelled`` with an item of ``unlabelled``.

    The length is that of the labelled set (one epoch visits each labelled
    pair once). The unlabelled item is drawn uniformly with numpy's global
    generator (``unlabelled_choice='random'``) or is item ``idx`` modulo the
    unlabelled set's length (``'modulo'``, the release: with a shuffled
    sampler every unlabelled item then comes up equally often, to within
    one, in an epoch). The two items' transformed dicts are given to
    ``pipeline`` as ``dict(labelled=..., unlabelled=...)``.

    Args:
        labelled: Dataset (or its config) of flow-labelled pairs.
        unlabelled: Dataset (or its config) of unlabelled pairs.
        pipeline: Transforms of the combined dict (packing).
        unlabelled_choice: 'random' or 'modulo'.
    """

    def __init__(
        self,
        labelled: Union[dict, object],
        unlabelled: Union[dict, object],
        pipeline: List[dict],
        unlabelled_choice: str = 'random',
    ) -> None:
        if unlabelled_choice not in UNLABELLED_CHOICES:
            raise ValueError(
                f'unlabelled_choice must be one of {UNLABELLED_CHOICES}, got {unlabelled_choice!r}'
            )
        self.unlabelled_choice = unlabelled_choice
        self.labelled = DATASETS.build(labelled) if isinstance(labelled, dict) else labelled
        self.unlabelled = DATASETS.build(unlabelled) if isinstance(unlabelled, dict) else unlabelled
        self.pipeline = Compose(pipeline)
        self._metainfo = dict(labelled=self.labelled.metainfo, unlabelled=self.unlabelled.metainfo)

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Fully initialise both datasets (they may be lazily initialised)."""
        self.labelled.full_init()
        self.unlabelled.full_init()

    def __len__(self) -> int:
        return len(self.labelled)

    def __getitem__(self, idx: int) -> dict:
        if self.unlabelled_choice == 'random':
            other = np.random.randint(len(self.unlabelled))
        else:
            other = idx % len(self.unlabelled)
        return self.pipeline(dict(labelled=self.labelled[idx], unlabelled=self.unlabelled[other]))
