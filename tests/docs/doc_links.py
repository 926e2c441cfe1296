"""The relative links of the documentation, and whether each one still leads
somewhere.

A link is ``[text](target)`` or ``![alt](target)`` outside code (fenced
blocks and inline code are skipped). Targets with a scheme (``https:``,
``mailto:``) are not followed. Any other target is a path relative to the
document: it must name a file or folder of the repository (not outside it),
and a ``#anchor`` on a markdown file (or alone, for the document itself)
must be the anchor of one of its headings, as GitHub makes them.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Set

LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
SCHEME = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:')
FENCE = re.compile(r'\s*(`{3,}|~{3,})')
HEADING = re.compile(r'\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
INLINE_CODE = re.compile(r'(`+)(.*?)\1')


@dataclass(frozen=True)
class Link:
    """A link of ``file`` (repository-relative) at ``line``."""

    file: str
    line: int
    target: str

    def __str__(self) -> str:
        return f'{self.file}:{self.line}: ({self.target})'


def prose_lines(markdown: str) -> Iterable[tuple]:
    """``(line number, text)`` of the lines outside fenced code blocks."""
    fence = None
    for number, text in enumerate(markdown.splitlines(), 1):
        found = FENCE.match(text)
        if fence is None and found:
            fence = found.group(1)
        elif fence is not None:
            if found and found.group(1)[0] == fence[0] and len(found.group(1)) >= len(fence):
                fence = None
        else:
            yield number, text


def extract_links(markdown: str, file: str) -> List[Link]:
    """Every link of ``markdown`` (named ``file``) outside code."""
    links = []
    for number, text in prose_lines(markdown):
        text = INLINE_CODE.sub('', text)
        links.extend(Link(file, number, m.group(1)) for m in LINK.finditer(text))
    return links


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading's text."""
    text = INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)  # a link: its text
    text = re.sub(r'[^\w\- ]', '', text.strip().lower())
    return text.replace(' ', '-')


def anchors(markdown: str) -> Set[str]:
    """The anchors of every heading of ``markdown`` (repeats get ``-1``, ``-2``...)."""
    seen, out = {}, set()
    for _, text in prose_lines(markdown):
        found = HEADING.match(text)
        if not found:
            continue
        name = anchor(found.group(2))
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.add(name if count == 0 else f'{name}-{count}')
    return out


def check_link(link: Link, root: Path) -> Optional[str]:
    """None if ``link`` leads somewhere in the repository at ``root``, else why not."""
    if SCHEME.match(link.target):
        return None
    path, _, fragment = link.target.partition('#')
    document = (root / link.file).resolve()
    target = (document.parent / path).resolve() if path else document
    if root.resolve() not in (target, *target.parents):
        return f'{path} is outside the repository'
    if not target.exists():
        return f'no file {target.relative_to(root.resolve()).as_posix()}'
    if fragment and target.suffix == '.md':
        if fragment not in anchors(target.read_text()):
            name = target.relative_to(root.resolve()).as_posix()
            return f'no heading with anchor #{fragment} in {name}'
    return None
