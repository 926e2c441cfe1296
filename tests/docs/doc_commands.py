"""The commands of the documentation's fenced shell blocks, and whether each
one still parses.

Conventions for README.md and docs/*.md:

* Every fenced block whose language is ``bash``, ``sh`` or ``shell`` is read.
  A line (joined over a trailing ``\\``) is split into commands at ``&&``,
  ``||``, ``;`` and ``|``; ``#`` at the start of a word starts a comment;
  leading ``NAME=value`` words are environment settings, and a line of
  settings only sets variables.
* ``python tools/X.py ARGS``, ``python -m fgvc.X ARGS`` and the console
  commands (``fgvc-demo ARGS``: ``CONSOLE_SCRIPTS`` in setup.py) are parsed by
  the program's own argparse parser, in this process, from a scratch folder,
  and stopped as soon as parsing succeeds: nothing runs. ``--help`` counts as
  parsed.
* Placeholders: words in capitals (``VIDEO``, ``CKPT``, ``DATA``, ``$DATA/BADJA``)
  are passed as they are; parsing opens no file. Numbers must be numbers.
  Synopsis syntax (``[--opt X]``, ``a|b``, ``...``, ``<file>``) is not a
  command: write a real one, or mark it.
* ``bash tools/X.sh ARGS``: the script must exist and its ``# Usage:`` line
  (``# Usage: bash tools/X.sh A B [more]``) must take that many arguments:
  the words before the first ``[`` are required; without a ``[``, no more.
* Words (or the values of ``key=value`` words) that begin with a folder of the
  repository (``REPO_FOLDERS``: ``configs/``, ``tools/``, ...) must name an
  existing path.
* ``pip install '.[a,b]'`` (or ``fgvc[a]``): each extra must be in setup.py.
* Any other program must be listed in ``EXTERNAL_PROGRAMS``, so that a
  misspelt or stale command cannot pass unnoticed.
* Not checked: the block right after a line ``<!-- commands: not checked -->``
  (invisible once rendered), or a line that ends with ``# not checked``.
"""

import argparse
import contextlib
import importlib
import io
import os
import re
import runpy
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from unittest import mock

SHELL_LANGUAGES = ('bash', 'sh', 'shell')
SKIP_BLOCK = '<!-- commands: not checked -->'
SKIP_LINE = '# not checked'
#: Top-level folders of the repository: a word starting with one names a path in it.
REPO_FOLDERS = ('configs', 'docker', 'docs', 'fgvc', 'tests', 'tools')
#: Programs the documentation may run that are not the project's.
EXTERNAL_PROGRAMS = frozenset(
    {
        'apt',
        'apt-get',
        'cat',
        'cd',
        'conda',
        'cp',
        'curl',
        'docker',
        'echo',
        'export',
        'ffmpeg',
        'git',
        'ls',
        'mkdir',
        'mkdocs',
        'mv',
        'nvidia-smi',
        'rm',
        'ruff',
        'tar',
        'tensorboard',
        'unzip',
        'wget',
    }
)
SEPARATORS = frozenset({'&&', '||', ';', '|', '&', '(', ')'})
PYTHON = re.compile(r'python(3(\.\d+)?)?')
ENV_SETTING = re.compile(r'[A-Za-z_][A-Za-z0-9_]*=')
PIP_EXTRAS = re.compile(r'(?:\.|\./|fgvc)\[([^\]]*)\]')
FENCE = re.compile(r'\s*(`{3,}|~{3,})\s*([^\s`]*)')


@dataclass(frozen=True)
class Command:
    """One command of a shell block: ``file`` and ``line`` where it starts."""

    file: str
    line: int
    words: Tuple[str, ...]
    #: why the line could not be split into words, if it could not
    error: Optional[str] = None

    def __str__(self) -> str:
        return f'{self.file}:{self.line}: `{shlex.join(self.words)}`'


def strip_comment(text: str) -> str:
    """``text`` up to a ``#`` that starts a word outside quotes (as the shell reads it)."""
    quote = None
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in '\'"':
            quote = char
        elif char == '#' and (i == 0 or text[i - 1].isspace()):
            return text[:i]
    return text


def split_commands(text: str) -> List[List[str]]:
    """The commands of one shell line, each as its words (environment settings
    and redirections left out)."""
    lexer = shlex.shlex(strip_comment(text), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ''
    commands, words = [], []
    tokens = list(lexer)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in SEPARATORS:
            commands.append(words)
            words = []
        elif set(token) <= set('<>&') and set(token) & set('<>'):  # a redirection
            if words and words[-1].isdigit():
                words.pop()  # the 2 of 2>&1
            i += 1  # its target
        elif not words and ENV_SETTING.match(token):
            pass
        else:
            words.append(token)
        i += 1
    commands.append(words)
    return [c for c in commands if c]


def shell_lines(markdown: str) -> Iterable[Tuple[int, str]]:
    """``(line number, text)`` of each line of the checked shell blocks, with
    continued lines joined."""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.fullmatch(lines[i])
        if not fence:
            i += 1
            continue
        marker, language = fence.group(1), fence.group(2).lower()
        previous = next((t.strip() for t in reversed(lines[:i]) if t.strip()), '')
        checked = language in SHELL_LANGUAGES and previous != SKIP_BLOCK
        i += 1
        start, pending = None, ''
        while i < len(lines) and not re.fullmatch(
            rf'\s*{marker[0]}{{{len(marker)},}}\s*', lines[i]
        ):
            text = lines[i]
            start = i + 1 if start is None else start
            if text.rstrip().endswith('\\'):
                pending += text.rstrip()[:-1] + ' '
            else:
                if checked and not (pending + text).rstrip().endswith(SKIP_LINE):
                    yield start, pending + text
                start, pending = None, ''
            i += 1
        i += 1  # the closing fence


def extract_commands(markdown: str, file: str) -> List[Command]:
    """Every command of the checked shell blocks of ``markdown`` (named ``file``)."""
    out = []
    for line, text in shell_lines(markdown):
        try:
            commands = split_commands(text)
        except ValueError as err:  # an unclosed quote
            out.append(Command(file, line, (text.strip(),), f'cannot split into words: {err}'))
            continue
        out.extend(Command(file, line, tuple(words)) for words in commands)
    return out


class _ArgumentsParsed(Exception):
    """Raised in place of returning from ``ArgumentParser.parse_args``."""


def parse_only(run: Callable[[], object], argv: Sequence[str], cwd: Path) -> Optional[str]:
    """Run ``run`` with ``sys.argv = argv`` from ``cwd`` up to its first
    ``ArgumentParser.parse_args``; None if that parses, else what went wrong."""
    original = argparse.ArgumentParser.parse_args

    def parse_and_stop(self, args=None, namespace=None):
        original(self, args, namespace)
        raise _ArgumentsParsed

    saved_argv, saved_cwd, saved_path = sys.argv, os.getcwd(), list(sys.path)
    stderr = io.StringIO()
    sys.argv = list(argv)
    try:
        os.chdir(cwd)
        with contextlib.ExitStack() as stack:
            stack.enter_context(
                mock.patch.object(argparse.ArgumentParser, 'parse_args', parse_and_stop)
            )
            stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
            stack.enter_context(contextlib.redirect_stderr(stderr))
            run()
    except _ArgumentsParsed:
        return None
    except SystemExit as exit:
        if exit.code in (0, None) and ({'-h', '--help'} & set(argv)):
            return None
        message = stderr.getvalue().strip().splitlines() or [str(exit.code)]
        return f'does not parse: {message[-1]}'
    except Exception as err:
        return f'failed before parsing: {type(err).__name__}: {err}'
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.chdir(saved_cwd)
    return 'returned without parsing its arguments with argparse'


def run_script(path: Path) -> Callable[[], object]:
    def run():
        sys.path.insert(0, str(path.parent))  # as `python path` does
        runpy.run_path(str(path), run_name='__main__')

    return run


def run_function(module: str, function: str) -> Callable[[], object]:
    return lambda: getattr(importlib.import_module(module), function)()


def is_repo_path(word: str) -> bool:
    return word.split('/')[0] in REPO_FOLDERS and '/' in word


def missing_repo_paths(words: Sequence[str], root: Path) -> List[str]:
    """The words (or ``key=`` values) naming repository paths that do not exist."""
    missing = []
    for word in words:
        value = word.split('=', 1)[-1]
        if not is_repo_path(value):
            continue
        if any(c in value for c in '*?['):
            found = any(root.glob(value))
        else:
            found = (root / value).exists()
        if not found:
            missing.append(value)
    return missing


def usage_counts(script: Path) -> Tuple[int, Optional[int]]:
    """(required, maximum or None) arguments by the script's ``# Usage:`` line."""
    for line in script.read_text().splitlines():
        usage = re.match(r'#\s*Usage:\s*(.*)', line)
        if not usage:
            continue
        words = usage.group(1).split()
        at = [i for i, w in enumerate(words) if w.endswith(script.name)]
        if not at:
            raise ValueError('its "# Usage:" line does not name it')
        names = words[at[0] + 1 :]
        optional = [i for i, w in enumerate(names) if w.startswith('[')]
        return (optional[0], None) if optional else (len(names), len(names))
    raise ValueError('it has no "# Usage:" line')


def check_shell_script(args: Sequence[str], root: Path) -> Optional[str]:
    if not args or args[0] == '-c':
        return None
    name, rest = args[0], args[1:]
    if not is_repo_path(name):
        return None
    script = root / name
    if not script.is_file():
        return f'no script {name}'
    try:
        required, maximum = usage_counts(script)
    except ValueError as err:
        return f'{name}: {err}'
    if len(rest) < required or (maximum is not None and len(rest) > maximum):
        wanted = f'{required}' if maximum == required else f'at least {required}'
        return f'{name} takes {wanted} arguments by its Usage line, given {len(rest)}'
    return None


def check_pip(args: Sequence[str], extras: Sequence[str]) -> Optional[str]:
    if not args or args[0] != 'install':
        return None
    for word in args[1:]:
        found = PIP_EXTRAS.fullmatch(word)
        unknown = [e for e in (found.group(1).split(',') if found else []) if e not in extras]
        if unknown:
            return f'no extra {", ".join(unknown)} in setup.py (it has {", ".join(extras)})'
    return None


def check_python(words: Sequence[str], root: Path, cwd: Path, extras) -> Optional[str]:
    i = 1
    while i < len(words) and words[i].startswith('-') and words[i] not in ('-m', '-c'):
        i += 2 if words[i] in ('-W', '-X') else 1
    if i >= len(words) or words[i] == '-c':
        return None
    if words[i] == '-m':
        module, args = words[i + 1], words[i + 2 :]
        if module == 'pip':
            return check_pip(args, extras)
        if module.split('.')[0] != 'fgvc':
            return None
        return parse_only(
            lambda: runpy.run_module(module, run_name='__main__', alter_sys=True),
            [module, *args],
            cwd,
        )
    script = root / words[i]
    if not script.is_file():
        return f'no script {words[i]}'
    return parse_only(run_script(script), [str(script), *words[i + 1 :]], cwd)


def check_command(
    command: Command,
    root: Path,
    cwd: Path,
    console_scripts: Dict[str, Tuple[str, str]],
    extras: Sequence[str],
) -> Optional[str]:
    """None if ``command`` is fine, else what is wrong with it. Programs run
    from ``cwd`` with the repository at ``root``."""
    if command.error:
        return command.error
    program, args = command.words[0], command.words[1:]
    missing = missing_repo_paths(args, root)
    if missing:
        return f'no such path in the repository: {", ".join(missing)}'
    if PYTHON.fullmatch(program):
        return check_python(command.words, root, cwd, extras)
    if program in console_scripts:
        return parse_only(run_function(*console_scripts[program]), command.words, cwd)
    if program in ('bash', 'sh'):
        return check_shell_script(args, root)
    if program in ('.', 'source'):
        return None  # a repository path among args was checked above
    if program in ('pip', 'pip3'):
        return check_pip(args, extras)
    return check_other_program(command.words, root, cwd)


def check_other_program(words: Sequence[str], root: Path, cwd: Path) -> Optional[str]:
    """A program from the repository, an external one, or an error."""
    program, args = words[0], words[1:]
    if is_repo_path(program):
        if not (root / program).is_file():
            return f'no program {program}'
        if program.endswith('.py'):
            return parse_only(run_script(root / program), [program, *args], cwd)
        return check_shell_script(words, root)
    if program in EXTERNAL_PROGRAMS:
        return None
    if program.startswith('fgvc-'):
        return f'no console command {program} in setup.py (CONSOLE_SCRIPTS)'
    return (
        f'unknown program {program!r}: a typo, synopsis syntax, or a program to add to '
        'EXTERNAL_PROGRAMS in tests/docs/doc_commands.py'
    )
