"""The evaluation sampler: mmengine's DefaultSampler that also takes an empty
dataset (a resumed evaluation whose videos were all done)."""

from typing import Iterator

from mmengine.dataset import DefaultSampler

from fgvc.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class EvalSampler(DefaultSampler):
    """:class:`mmengine.dataset.DefaultSampler` (every rank gets the same
    number of items, padded by repeating some) that yields nothing for an
    empty dataset instead of dividing by zero."""

    def __iter__(self) -> Iterator[int]:
        if len(self.dataset) == 0:
            return iter([])
        return super().__iter__()
