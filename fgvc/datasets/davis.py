"""DAVIS semi-supervised video object segmentation (2017 or 2016 layout).

Layouts (docs/method.md section 7), detected from the list file found on disk:

* DAVIS-2017: ``ImageSets/2017/<split>.txt`` lists sequence names;
  ``Annotations/<res>/<seq>/%05d.png`` are palette PNGs whose value is the
  object id (0 background, 255 void).
* DAVIS-2016: ``ImageSets/<res>/<split>.txt`` lists ``/JPEGImages/... /Annotations/...``
  frame and mask path pairs; masks are grey 0/255, one object.

Both keep frames in ``JPEGImages/<res>/<seq>/%05d.jpg``. Every frame must
have a mask (evaluation needs them all). Objects are ``1..K`` with K the
largest id in the first frame's mask (the official evaluation's rule).
"""

import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from fgvc.fileio import VOID, list_images, read_index_png, read_video
from fgvc.registry import DATASETS
from fgvc.utils.paths import check_name

FRAME_EXTENSIONS = ('.jpg', '.jpeg', '.png')
MASK_EXTENSIONS = ('.png',)


def _read_lines(path: str) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def sequences_2017(list_path: str) -> List[str]:
    """Sequence names, in order, of a DAVIS-2017 list (one name a line)."""
    return [check_name(n, 'DAVIS sequence', list_path) for n in _read_lines(list_path)]


def sequences_2016(list_path: str) -> List[str]:
    """Sequence names, in order, of a DAVIS-2016 list of frame/mask path pairs."""
    names = []
    for number, line in enumerate(_read_lines(list_path), 1):
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(
                f'{list_path}:{number}: expected "<frame path> <mask path>", got {line!r}'
            )
        seq = check_name(osp.basename(osp.dirname(parts[0])), 'DAVIS sequence', list_path)
        if seq not in names:
            names.append(seq)
    return names


def only_resolution(root: str, option: str = 'resolution') -> str:
    """The one resolution folder of a DAVIS layout (``JPEGImages/<res>/``);
    ``ValueError`` asking for ``option`` (how the caller names the
    resolution) when there is none or several."""
    folder = osp.join(root, 'JPEGImages')
    found = (
        sorted(n for n in os.listdir(folder) if osp.isdir(osp.join(folder, n)))
        if osp.isdir(folder)
        else []
    )
    if len(found) != 1:
        raise ValueError(
            f'{root} is not a DAVIS layout with one resolution folder (JPEGImages/<res>/): '
            f'found {found}; name one with {option}'
        )
    return found[0]


def list_files(root: str, split: str, resolution: str) -> Tuple[str, str]:
    """The two places of a split's list: DAVIS-2017's ``ImageSets/2017/<split>.txt``
    and DAVIS-2016's ``ImageSets/<resolution>/<split>.txt``, in the order they are tried."""
    return (
        osp.join(root, 'ImageSets', '2017', f'{split}.txt'),
        osp.join(root, 'ImageSets', resolution, f'{split}.txt'),
    )


def find_sequences(root: str, split: str, resolution: str) -> Optional[Tuple[str, str, List[str]]]:
    """``(layout, list file, sequence names)`` of the split's list, the
    DAVIS-2017 list before the DAVIS-2016 one (:func:`list_files`); None
    when neither exists."""
    list_2017, list_2016 = list_files(root, split, resolution)
    if osp.isfile(list_2017):
        return '2017', list_2017, sequences_2017(list_2017)
    if osp.isfile(list_2016):
        return '2016', list_2016, sequences_2016(list_2016)
    return None


def paired_files(frames_dir: str, masks_dir: str, seq: str) -> Tuple[List[str], List[str]]:
    """Frame and mask paths of one sequence; their counts and names must agree."""
    frames = list_images(frames_dir, FRAME_EXTENSIONS, f'frames of sequence {seq}')
    masks = list_images(masks_dir, MASK_EXTENSIONS, f'masks of sequence {seq}')
    stems = [osp.splitext(osp.basename(p))[0] for p in frames]
    mask_stems = [osp.splitext(osp.basename(p))[0] for p in masks]
    if stems != mask_stems:
        no_mask = sorted(set(stems) - set(mask_stems))
        no_frame = sorted(set(mask_stems) - set(stems))
        raise ValueError(
            f'DAVIS sequence {seq!r}: {len(frames)} frames in {frames_dir} but {len(masks)} '
            f'masks in {masks_dir}; frames without a mask: {no_mask[:10]}, masks without '
            f'a frame: {no_frame[:10]}'
        )
    return frames, masks


@DATASETS.register_module()
class DavisVOSDataset(BaseDataset):
    """One item per sequence: frames, ground-truth label maps and the first mask.

    Args:
        data_root: the DAVIS folder (with ``JPEGImages``, ``Annotations``,
            ``ImageSets``).
        pipeline: transforms (packing).
        split: list-file name without ``.txt``.
        resolution: the ``480p`` / ``Full-Resolution`` sub-folder.
    """

    def __init__(
        self,
        data_root: str,
        pipeline: List[dict],
        split: str = 'val',
        resolution: str = '480p',
        **kwargs,
    ):
        self.split = split
        self.resolution = resolution
        super().__init__(data_root=data_root, pipeline=pipeline, serialize_data=False, **kwargs)

    def detect_layout(self) -> Tuple[str, List[str]]:
        """('2017' or '2016', sequence names) from the list file present."""
        found = find_sequences(self.data_root, self.split, self.resolution)
        if found is not None:
            return found[0], found[2]
        list_2017, list_2016 = list_files(self.data_root, self.split, self.resolution)
        raise FileNotFoundError(
            f'No DAVIS list file: neither {list_2017} (DAVIS-2017) nor '
            f'{list_2016} (DAVIS-2016) exists'
        )

    def load_data_list(self) -> List[dict]:
        layout, sequences = self.detect_layout()
        if not sequences:
            raise ValueError(f'DAVIS data root {self.data_root}: the {self.split} list is empty')
        data_list = []
        for seq in sequences:
            frames, masks = paired_files(
                osp.join(self.data_root, 'JPEGImages', self.resolution, seq),
                osp.join(self.data_root, 'Annotations', self.resolution, seq),
                seq,
            )
            data_list.append(
                dict(video_name=seq, frame_paths=frames, mask_paths=masks, layout=layout)
            )
        return data_list

    def get_data_info(self, idx: int) -> Dict:
        info = dict(super().get_data_info(idx))
        info['video'] = read_video(info['frame_paths'])
        masks = np.stack([read_index_png(p) for p in info['mask_paths']])
        if masks.shape[1:] != info['video'].shape[1:3]:
            raise ValueError(
                f'DAVIS sequence {info["video_name"]!r}: masks are '
                f'{masks.shape[1:]} but frames {info["video"].shape[1:3]}'
            )
        if info['layout'] == '2016':
            masks = (masks != 0).astype(np.uint8)
        first = masks[0]
        num_objects = int(np.where(first == VOID, 0, first).max())
        if num_objects == 0:
            raise ValueError(
                f'DAVIS sequence {info["video_name"]!r}: the first mask '
                f'{info["mask_paths"][0]} shows no object'
            )
        info.update(
            gt_masks=masks, first_mask=first, num_objects=num_objects, raster_hw=masks.shape[1:]
        )
        return info
