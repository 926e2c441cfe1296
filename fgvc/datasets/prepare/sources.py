"""Where each dataset comes from and under which terms: told to the user
whenever a download is incomplete (nothing is ever downloaded here)."""

from dataclasses import dataclass
from typing import Dict


@dataclass(frozen=True)
class DatasetSource:
    """A dataset's name, its official source (what to download) and its licence."""

    title: str
    source: str
    licence: str


SOURCES: Dict[str, DatasetSource] = {
    'davis': DatasetSource(
        'DAVIS-2017',
        'https://davischallenge.org/davis2017/code.html (DAVIS-2017-trainval-480p.zip; '
        'DAVIS-2016: https://davischallenge.org/davis2016/code.html)',
        'CC BY-NC 4.0',
    ),
    'tapvid': DatasetSource(
        'TAP-Vid',
        'https://github.com/google-deepmind/tapnet (tapvid_davis.zip, tapvid_rgb_stacking.zip; '
        "Kinetics: tapvid_kinetics.zip, then tapnet's generate_tapvid.py over the "
        'Kinetics-700-2020 validation videos)',
        'annotations CC BY 4.0; videos belong to their owners (DAVIS terms, YouTube)',
    ),
    'jhmdb': DatasetSource(
        'JHMDB',
        'http://jhmdb.is.tue.mpg.de/ (Rename_Images frames, joint_positions, splits)',
        'research use only, under the terms on the JHMDB site',
    ),
    'badja': DatasetSource(
        'BADJA',
        'https://github.com/benjiebob/BADJA (joint_annotations) with DAVIS-2017 frames and '
        'masks (DAVIS-2017-trainval-Full-Resolution.zip from https://davischallenge.org)',
        'annotations MIT; frames and masks CC BY-NC 4.0 (DAVIS)',
    ),
    'youtube-vos': DatasetSource(
        'YouTube-VOS 2018',
        'https://youtube-vos.org/dataset/ (the 2018 train split: train.zip)',
        'annotations CC BY 4.0; videos from YouTube, for non-commercial research only',
    ),
    'flyingthings': DatasetSource(
        'FlyingThings3D',
        'https://lmb.informatik.uni-freiburg.de/resources/datasets/SceneFlowDatasets.en.html '
        '(FlyingThings3D RGB images (cleanpass) WebP, and optical flow)',
        'research use only, no commercial use (the terms on that page)',
    ),
}


def source_note(dataset: str) -> str:
    """One line naming ``dataset``'s official source and licence."""
    info = SOURCES[dataset]
    return f'{info.title}: official source {info.source}; licence: {info.licence}'
