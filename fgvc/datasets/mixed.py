"""One labelled and one unlabelled pair per training sample."""

import copy
from typing import List, Union

import numpy as np
from mmengine.dataset import Compose

from fgvc.registry import DATASETS


@DATASETS.register_module()
class MixedPairs:
    """Pairs every item of ``labelled`` with a random item of ``unlabelled``.

    The length is that of the labelled set (one epoch visits each labelled
    pair once); the unlabelled item is drawn uniformly with numpy's global
    generator. The two items' transformed dicts are given to ``pipeline`` as
    ``dict(labelled=..., unlabelled=...)``.

    Args:
        labelled: Dataset (or its config) of flow-labelled pairs.
        unlabelled: Dataset (or its config) of unlabelled pairs.
        pipeline: Transforms of the combined dict (packing).
    """

    def __init__(
        self, labelled: Union[dict, object], unlabelled: Union[dict, object], pipeline: List[dict]
    ) -> None:
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
        other = np.random.randint(len(self.unlabelled))
        return self.pipeline(dict(labelled=self.labelled[idx], unlabelled=self.unlabelled[other]))
