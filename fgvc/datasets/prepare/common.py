"""What every preparation shares: collecting what is missing from a download,
linking the downloaded folders into the prepared one, writing index files."""

import os
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Tuple

from fgvc.fileio import atomic_write

from .sources import source_note

#: Missing pieces named in an error before the rest are only counted.
SHOWN_MISSING = 5


class LayoutError(FileNotFoundError):
    """A download lacks what the loaders read: each missing path and what it is.

    ``note`` names the dataset's official source and licence.
    """

    def __init__(self, dataset: str, source: str, missing: List[Tuple[str, str]]):
        shown = '; '.join(f'{path} ({what})' for path, what in missing[:SHOWN_MISSING])
        more = len(missing) - SHOWN_MISSING
        super().__init__(
            f'{source} is not a complete {dataset} layout: {len(missing)} missing: {shown}'
            + (f'; and {more} more' if more > 0 else '')
        )
        self.dataset = dataset
        self.missing = missing
        self.note = source_note(dataset)


@dataclass
class Checklist:
    """Collects the missing pieces of one dataset's download."""

    dataset: str
    source: str
    missing: List[Tuple[str, str]] = field(default_factory=list)

    def need_dir(self, path: str, what: str) -> bool:
        """True if ``path`` is a folder; otherwise it is listed as missing."""
        if osp.isdir(path):
            return True
        self.missing.append((path, what))
        return False

    def need_file(self, path: str, what: str) -> bool:
        """True if ``path`` is a file; otherwise it is listed as missing."""
        if osp.isfile(path):
            return True
        self.missing.append((path, what))
        return False

    def add(self, path: str, what: str) -> None:
        self.missing.append((path, what))

    def check(self) -> None:
        """Raise :class:`LayoutError` if anything is missing."""
        if self.missing:
            raise LayoutError(self.dataset, self.source, self.missing)


def same_folder(a: str, b: str) -> bool:
    return osp.realpath(a) == osp.realpath(b)


def link(target: str, path: str) -> str:
    """Make ``path`` a link to the folder ``target`` (nothing when it is that
    folder already); returns what was done."""
    if osp.lexists(path):
        if same_folder(path, target):
            return f'{path}: {target} already'
        raise FileExistsError(
            f'{path} exists and is not {target}: remove it or choose another --out'
        )
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    os.symlink(osp.realpath(target), path)
    return f'{path}: linked to {osp.realpath(target)}'


def link_into(source: str, out: str, rel: str) -> str:
    """Make ``out/rel`` a link to ``source/rel`` (see :func:`link`)."""
    return link(osp.join(source, rel), osp.join(out, rel))


def write_text(path: str, lines: List[str]) -> None:
    """One line per entry, atomically."""
    atomic_write(path, ''.join(f'{line}\n' for line in lines).encode())


def subfolders(folder: str) -> List[str]:
    """Sorted names of the folders in ``folder``."""
    return sorted(n for n in os.listdir(folder) if osp.isdir(osp.join(folder, n)))


def files_with(folder: str, extensions: Tuple[str, ...]) -> List[str]:
    """Sorted names of the files in ``folder`` with one of ``extensions`` (any case)."""
    if not osp.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder) if n.lower().endswith(extensions))
