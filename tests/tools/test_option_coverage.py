"""Every option a tool advertises has a test that runs it through the tool's
real entry point (issue 29): the options are read from each tool's --help
(tools/*.py, and the console commands of setup.py), and each must have an
entry in :data:`option_tests.OPTION_TESTS` naming tests that exist and that
pass the option."""

import ast
import contextlib
import importlib
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


class Reach:
    """The source a test reaches: its own body (with its decorators), the
    fixtures it asks for (from its file or a conftest.py above it), and the
    module-level functions and constants it names, in its file or imported
    from a tests/ module, followed transitively; a string constant imported
    from the package (e.g. ``fgvc.fileio.TRUST_FLAG``) counts as its value."""

    def __init__(self) -> None:
        self.modules: Dict[Path, dict] = {}

    def symbols(self, path: Path) -> dict:
        """``{name: ast node or (module, name)}`` of a file's top level."""
        if path not in self.modules:
            table = {}
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    table[node.name] = node
                elif isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            table[target.id] = node
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    for alias in node.names:
                        table[alias.asname or alias.name] = (node.module, alias.name)
            self.modules[path] = table
        return self.modules[path]

    def resolve(self, path: Path, name: str, fixture: bool = False, imported: tuple = None):
        """Where ``name`` used in ``path`` is defined (``imported``: by an
        import inside the function): ``(path, node)``, a package string
        constant, or None."""
        entry = imported or self.symbols(path).get(name)
        if entry is None and fixture:
            for folder in [path.parent, *path.parent.parents]:
                conftest = folder / 'conftest.py'
                if conftest.is_file() and name in self.symbols(conftest):
                    return self.resolve(conftest, name)
                if folder == ROOT / 'tests':
                    break
        if isinstance(entry, tuple):
            module, attribute = entry
            for folder in (path.parent, ROOT / 'tests'):
                helper = folder / f'{module}.py'
                if helper.is_file():
                    return self.resolve(helper, attribute)
            if module.split('.')[0] == 'fgvc':
                value = getattr(importlib.import_module(module), attribute, None)
                return value if isinstance(value, str) else None
            return None
        return (path, entry) if entry is not None else None

    def text(self, path: Path, node: ast.AST) -> str:
        """The source ``node`` of ``path`` reaches."""
        seen, texts, todo = set(), [], [(path, node)]
        while todo:
            path, node = todo.pop()
            if (path, id(node)) in seen:
                continue
            seen.add((path, id(node)))
            texts.append(ast.unparse(node))
            names = [(n.id, False) for n in ast.walk(node) if isinstance(n, ast.Name)]
            if isinstance(node, ast.FunctionDef):
                names += [(a.arg, True) for a in node.args.args]
            local = {  # imports inside the function
                alias.asname or alias.name: (n.module, alias.name)
                for n in ast.walk(node)
                if isinstance(n, ast.ImportFrom) and n.module and n.level == 0
                for alias in n.names
            }
            for name, fixture in names:
                found = self.resolve(path, name, fixture, local.get(name))
                if isinstance(found, str):
                    texts.append(repr(found))
                elif found is not None:
                    todo.append(found)
        return '\n'.join(texts)

    def test_text(self, path: Path, test: str) -> str:
        """The source the test ``test`` (``name`` or ``Class::name``) of ``path`` reaches."""
        *owner, name = test.split('::')
        body = ast.parse(path.read_text()).body
        if owner:
            (body,) = [n.body for n in body if isinstance(n, ast.ClassDef) and n.name == owner[0]]
        (node,) = [n for n in body if isinstance(n, ast.FunctionDef) and n.name == name]
        return self.text(path, node)


def test_every_listed_test_exists_and_passes_the_option():
    reach = Reach()
    for tool, table in OPTION_TESTS.items():
        for option, ids in table.items():
            for test_id in ids:
                path, _, name = test_id.partition('::')
                file = ROOT / path
                assert file.is_file(), (tool, option, test_id)
                assert name.split('[')[0] in defined_tests(file), (tool, option, test_id)
                text = reach.test_text(file, name.split('[')[0])
                assert option in text, (tool, option, test_id)
