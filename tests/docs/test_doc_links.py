"""Every relative link of README.md and docs/*.md leads to a file of the
repository (and to a heading of it, for ``file.md#anchor``); see doc_links.py."""

from pathlib import Path

import pytest
from doc_links import Link, anchor, anchors, check_link, extract_links

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO_ROOT / 'README.md', *sorted((REPO_ROOT / 'docs').rglob('*.md'))]
LINKS = [
    link
    for document in DOCUMENTS
    for link in extract_links(document.read_text(), document.relative_to(REPO_ROOT).as_posix())
]


def test_every_docs_page_is_linked_from_the_readme():
    targets = {link.target.partition('#')[0] for link in LINKS if link.file == 'README.md'}
    pages = {p.relative_to(REPO_ROOT).as_posix() for p in DOCUMENTS if p != REPO_ROOT / 'README.md'}
    assert pages and pages <= targets, f'not linked from README.md: {sorted(pages - targets)}'


@pytest.mark.parametrize('link', LINKS, ids=[f'{k.file}:{k.line}:{k.target}' for k in LINKS])
def test_documented_link_leads_somewhere(link):
    problem = check_link(link, REPO_ROOT)
    assert problem is None, f'{link}: {problem}'


MARKDOWN = """# Title
See [the data](docs/data.md), ![an image](docs/demo.jpg "a title") and
[a site](https://example.org/x) or [mail](mailto:a@b.c); `[code](not/a/link.md)`.

```bash
echo "[in a block](nowhere.md)"
```

## Two `words`, here's [one](x.md)!
## Two words, here's one
"""


def test_links_are_read_outside_code():
    links = extract_links(MARKDOWN, 'doc.md')
    assert [(k.line, k.target) for k in links] == [
        (2, 'docs/data.md'),
        (2, 'docs/demo.jpg'),
        (3, 'https://example.org/x'),
        (3, 'mailto:a@b.c'),
        (9, 'x.md'),
    ]


def test_anchors_as_github_makes_them():
    assert anchor("Loading the release's checkpoints") == 'loading-the-releases-checkpoints'
    assert anchor('`--resume` and <δ^x_avg>') == '--resume-and-δx_avg'
    assert anchors(MARKDOWN) == {'title', 'two-words-heres-one', 'two-words-heres-one-1'}


@pytest.mark.parametrize(
    'target, expected',
    [
        ('docs/data.md', None),
        ('docs/data.md#synthetic-data', None),
        ('docs/', None),
        ('https://example.org/missing.md', None),
        ('#quickstart', None),
        ('docs/no_such_page.md', 'no file docs/no_such_page.md'),
        ('docs/data.md#no-such-heading', 'no heading with anchor #no-such-heading in docs/data.md'),
        ('#no-such-heading', 'no heading with anchor #no-such-heading in README.md'),
        ('../outside.md', 'outside the repository'),
    ],
)
def test_check_link(target, expected):
    problem = check_link(Link('README.md', 1, target), REPO_ROOT)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_a_link_relative_to_a_docs_page(tmp_path):
    (tmp_path / 'docs').mkdir()
    (tmp_path / 'docs' / 'a.md').write_text('# A\n')
    (tmp_path / 'README.md').write_text('# R\n')
    assert check_link(Link('docs/a.md', 1, '../README.md#r'), tmp_path) is None
    assert check_link(Link('docs/a.md', 1, 'README.md'), tmp_path) == 'no file docs/README.md'
