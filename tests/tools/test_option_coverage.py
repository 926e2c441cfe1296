"""Every option a tool advertises has a test that runs it through the tool's
real entry point (issue 29): the options are read from each tool's --help
(tools/*.py, and the console commands of setup.py), and each must have an
entry in :data:`option_tests.OPTION_TESTS` naming tests that exist and that
pass the option."""

import ast
import contextlib
import io
import re
import sys
from pathlib import Path
from typing import Dict, List

import pytest
from option_tests import GAPS, OPTION_TESTS
from tool_runs import ROOT, load_tool

#: Options every argparse tool has.
IMPLICIT = ('-h', '--help')


def help_text(tool: str) -> str:
    """What ``<tool> --help`` prints (a tools/*.py script or a console
    command), from the tool's main in this process."""
    if tool.startswith('tools/'):
        main = load_tool(Path(tool).stem).main
    else:
        module, _, name = dict(entry_points())[tool].partition(':')
        main = getattr(__import__(module, fromlist=[name]), name)
    out = io.StringIO()
    argv = sys.argv
    sys.argv = [tool, '--help']
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as ended:
            main()
    finally:
        sys.argv = argv
    assert ended.value.code in (0, None), tool
    return out.getvalue()


def advertised_options(text: str) -> List[str]:
    """The options a --help lists, each by its first name (``--trust-pickle``
    for ``--trust-pickle, --trust-checkpoint``)."""
    options = []
    for line in text.splitlines():
        if not re.match(r'^  -', line):
            continue
        head = re.split(r'\s{2,}', line.strip())[0]
        names = re.findall(r'(?:^|, )(--?[\w-]+)', head)
        if names and names[0] not in IMPLICIT:
            options.append(names[0])
    return options


def entry_points() -> List[tuple]:
    """``(command, module:function)`` of setup.py's console commands (its
    ``CONSOLE_SCRIPTS`` list, read without running setup.py)."""
    tree = ast.parse((ROOT / 'setup.py').read_text())
    (lines,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and node.targets[0].id == 'CONSOLE_SCRIPTS'
    ]
    return [tuple(part.strip() for part in line.split('=')) for line in lines]


def tool_of(target: str) -> str:
    """The tools/ script that runs the same main as a console command, else the command."""
    module, _, name = target.partition(':')
    for path in sorted(ROOT.glob('tools/**/*.py')):
        if f'from {module} import {name}' in path.read_text():
            return path.relative_to(ROOT).as_posix()
    return target


def all_tools() -> Dict[str, str]:
    """Each tool (by the key of :data:`OPTION_TESTS`) and the name to ask for its --help."""
    tools = {path.relative_to(ROOT).as_posix(): None for path in sorted(ROOT.glob('tools/*.py'))}
    for command, target in entry_points():
        tools.setdefault(tool_of(target), command)
    return {tool: command or tool for tool, command in tools.items()}


def defined_tests(path: Path) -> set:
    """The test functions of a test file (``Class::test`` for methods)."""
    tree = ast.parse(path.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names |= {f'{node.name}::{n.name}' for n in node.body if isinstance(n, ast.FunctionDef)}
    return names


def test_every_advertised_option_has_an_entry_point_test():
    tools = all_tools()
    missing, stale, filled = [], [], []
    for tool, asked in tools.items():
        options = advertised_options(help_text(asked))
        assert options, tool
        table, gaps = OPTION_TESTS.get(tool, {}), GAPS.get(tool, [])
        missing += [f'{tool} {o}' for o in options if not table.get(o) and o not in gaps]
        stale += [f'{tool} {o}' for o in [*table, *gaps] if o not in options]
        filled += [f'{tool} {o}' for o in gaps if table.get(o)]
    assert not missing, f'options without an entry-point test: {missing}'
    assert not stale, f'entries for options the tools no longer have: {stale}'
    assert not filled, f'options with a test now: take them off GAPS: {filled}'
    assert set(OPTION_TESTS) | set(GAPS) <= set(tools), set(OPTION_TESTS) - set(tools)


def helper_text(file: Path) -> str:
    """The text of a test file and of the tests/ modules it imports from."""
    texts = [file.read_text()]
    for node in ast.walk(ast.parse(texts[0])):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for folder in (file.parent, ROOT / 'tests'):
                helper = folder / f'{node.module}.py'
                if helper.is_file():
                    texts.append(helper.read_text())
    return '\n'.join(texts)


def test_every_listed_test_exists_and_passes_the_option():
    for tool, table in OPTION_TESTS.items():
        for option, ids in table.items():
            for test_id in ids:
                path, _, name = test_id.partition('::')
                file = ROOT / path
                assert file.is_file(), (tool, option, test_id)
                assert name.split('[')[0] in defined_tests(file), (tool, option, test_id)
                assert option in helper_text(file), (tool, option, test_id)
