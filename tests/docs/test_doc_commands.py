"""Every command in the README's and docs/*.md's shell blocks still parses
(see doc_commands.py for what is checked and the writing conventions)."""

from pathlib import Path

import pytest
from doc_commands import check_command, extract_commands
from project_setup import console_scripts, extras

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO_ROOT / 'README.md', *sorted((REPO_ROOT / 'docs').rglob('*.md'))]
COMMANDS = [
    command
    for document in DOCUMENTS
    for command in extract_commands(
        document.read_text(), document.relative_to(REPO_ROOT).as_posix()
    )
]


def test_the_readme_has_commands():
    assert any(command.file == 'README.md' for command in COMMANDS)


@pytest.mark.parametrize(
    'command', COMMANDS, ids=[f'{c.file}:{c.line}:{c.words[0]}' for c in COMMANDS]
)
def test_documented_command_parses(command, tmp_path):
    problem = check_command(command, REPO_ROOT, tmp_path, console_scripts(), extras())
    assert problem is None, f'{command}: {problem}'
