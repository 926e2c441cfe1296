"""The package's layers, read from the import statements of every module.

tools/ (the scripts) -> fgvc.cli -> (fgvc.benchmark, fgvc.web: what the
scripts run) -> fgvc.outputs (what the demos write) -> fgvc.apis ->
(fgvc.datasets, fgvc.evaluation, fgvc.engine, fgvc.visualization, fgvc.zoo)
-> fgvc.utils -> fgvc.models -> fgvc.propagation ->
(fgvc.fileio, fgvc.registry) -> fgvc:
a module imports only from its own package or from a lower layer (the
packages of one layer do not import each other), and no chain of imports
comes back to where it started.
"""

import ast
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[2]
#: From the top; the packages of one entry form one layer.
LAYERS = [
    ('tools',),
    ('fgvc.cli',),
    ('fgvc.benchmark', 'fgvc.web'),
    ('fgvc.outputs',),
    ('fgvc.apis',),
    ('fgvc.datasets', 'fgvc.evaluation', 'fgvc.engine', 'fgvc.visualization', 'fgvc.zoo'),
    # checkpoint loading fits weights to the models (fgvc.models.backbones.fitting)
    ('fgvc.utils',),
    ('fgvc.models',),
    ('fgvc.propagation',),
    ('fgvc.fileio', 'fgvc.registry'),
    ('fgvc',),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def modules() -> Dict[str, Path]:
    found = {module_name(p): p for p in sorted((ROOT / 'fgvc').rglob('*.py'))}
    found.update({module_name(p): p for p in sorted((ROOT / 'tools').rglob('*.py'))})
    return found


def imported(name: str, source: str, is_package: bool, known: Dict[str, Path]) -> Set[str]:
    """The fgvc modules ``name`` imports (anywhere in it, functions included),
    each with the packages Python initialises on the way to it (but not the
    importer's own, which are initialised already)."""
    package = name if is_package else name.rpartition('.')[0]
    targets = set()
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parent = package.split('.')[: len(package.split('.')) - node.level + 1]
                base = '.'.join(parent + ([node.module] if node.module else []))
            targets.add(base)
            targets.update(f'{base}.{alias.name}' for alias in node.names)
    own = {'.'.join(name.split('.')[:i]) for i in range(1, name.count('.') + 1)}
    out = set()
    for target in targets:
        parts = target.split('.')
        for i in range(1, len(parts) + 1):
            prefix = '.'.join(parts[:i])
            if prefix in known and prefix not in own and prefix != name:
                out.add(prefix)
    return out


def graph() -> Dict[str, Set[str]]:
    known = modules()
    return {
        name: imported(name, path.read_text(), path.name == '__init__.py', known)
        for name, path in known.items()
    }


def layer_of(name: str) -> tuple:
    """(layer index, package) of the most specific package listed that holds ``name``."""
    best = None
    for index, packages in enumerate(LAYERS):
        for package in packages:
            if name == package or name.startswith(package + '.'):
                if best is None or len(package) > len(best[1]):
                    best = (index, package)
    assert best is not None, f'{name} is in no layer: add its package to LAYERS'
    return best


def test_no_module_imports_from_a_higher_layer_or_a_sibling_package():
    wrong = []
    for name, targets in graph().items():
        layer, package = layer_of(name)
        for target in targets:
            target_layer, target_package = layer_of(target)
            if target_package != package and target_layer <= layer:
                wrong.append(f'{name} -> {target}')
    assert not wrong, 'imports against the layers:\n' + '\n'.join(sorted(wrong))


def cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_checks_see_a_cycle_and_an_upward_import():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
    known = {'fgvc.utils': ROOT, 'fgvc.utils.x': ROOT, 'fgvc.engine': ROOT}
    source = 'import fgvc.engine\nfrom . import x\n'
    assert imported('fgvc.utils', source, True, known) == {'fgvc.engine', 'fgvc.utils.x'}
    assert layer_of('fgvc.engine')[0] < layer_of('fgvc.utils')[0]


def test_no_private_torch_module_is_imported():
    private = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or '']
            private += [f'{name}: {n}' for n in names if n.startswith('torch._')]
    assert not private, private
