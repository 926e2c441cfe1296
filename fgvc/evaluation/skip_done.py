"""A dataset without the videos an earlier, interrupted evaluation finished."""

from typing import List

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from fgvc.registry import DATASETS

from .records import read_records


@DATASETS.register_module()
class SkipDoneVideos:
    """Wraps an evaluation dataset, leaving out the videos named in the
    records file ``done_records`` (see :func:`fgvc.evaluation.records.prepare_records`).

    Args:
        dataset: config of the wrapped dataset (a :class:`BaseDataset` whose
            data list names each item's ``video_name``).
        done_records: json-line records of the videos already evaluated.
    """

    def __init__(self, dataset: dict, done_records: str):
        self.dataset = DATASETS.build(dataset)
        done = {r['video_name'] for r in read_records([done_records])}
        names = [self.video_name(i) for i in range(len(self.dataset))]
        self.indices: List[int] = [i for i, name in enumerate(names) if name not in done]
        self.num_skipped = len(names) - len(self.indices)
        print_log(
            f'Resuming: {self.num_skipped} of {len(names)} videos already evaluated '
            f'({done_records}) are skipped; {len(self.indices)} remain',
            logger='current',
        )

    def video_name(self, idx: int) -> str:
        # the base class's item description, without the subclass's frame loading
        return str(BaseDataset.get_data_info(self.dataset, idx)['video_name'])

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def full_init(self) -> None:
        self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> dict:
        return self.dataset[self.indices[idx]]
