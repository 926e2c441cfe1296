"""The README's Quickstart is the two commands a fresh machine runs (the test
command the one CI runs), and docs/protocols.md lists every release switch of
the evaluation config with its value."""

import re
from pathlib import Path

from doc_commands import extract_commands
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]


def section(markdown: str, title: str) -> str:
    """The text under the ``## title`` heading, up to the next ``## ``."""
    found = re.search(rf'^## {re.escape(title)}\n(.*?)(?=^## |\Z)', markdown, re.M | re.S)
    assert found, f'no "## {title}" section'
    return found.group(1)


def test_the_quickstart_is_the_main_job_and_the_test_command_ci_runs():
    quickstart = section((REPO_ROOT / 'README.md').read_text(), 'Quickstart')
    commands = [c.words for c in extract_commands(quickstart, 'README.md')]
    assert commands[0] == ('bash', 'tools/quickstart.sh')
    assert len(commands) == 2, commands
    ci_lines = {line.strip() for line in (REPO_ROOT / '.ci' / 'run').read_text().splitlines()}
    assert ' '.join(commands[1]) in ci_lines, f'.ci/run does not run `{" ".join(commands[1])}`'


def test_protocols_doc_lists_every_release_switch_with_its_value():
    rows = {}
    for line in (REPO_ROOT / 'docs' / 'protocols.md').read_text().splitlines():
        found = re.match(r'\| `([^`]+)` \| (.*) \|$', line)
        if found:
            rows[found.group(1)] = found.group(2)
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'eval' / 'res18_d1_eval.py'))
    listed = set()
    for task, spec in cfg.tasks.items():
        for key, value in spec.get('protocols', {}).get('release', {}).items():
            listed.add(key)
            assert key in rows, f'docs/protocols.md does not list {key}'
            groups = re.findall(r'`([^`]+)` \(([^)]*)\)', rows[key])
            assert any(v == repr(value) and task in t.split(', ') for v, t in groups), (
                f'docs/protocols.md: {key} is not `{value!r}` for {task}'
            )
    assert listed, 'the config has no release switches'
