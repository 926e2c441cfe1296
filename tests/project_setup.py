"""What setup.py declares, read without running it: its module-level literals
(``CONSOLE_SCRIPTS``, ``EXTRAS``)."""

import ast
from pathlib import Path
from typing import Dict, List, Tuple

REPO_ROOT = Path(__file__).resolve().parents[1]
SETUP_PY = REPO_ROOT / 'setup.py'


def setup_literal(name: str, setup_py: Path = SETUP_PY):
    """The value of the literal assigned to ``name`` at the top of setup.py."""
    for node in ast.parse(setup_py.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return ast.literal_eval(node.value)
    raise KeyError(f'{setup_py} assigns no literal {name}')


def console_scripts() -> Dict[str, Tuple[str, str]]:
    """``{command: (module, function)}`` of setup.py's console commands."""
    out = {}
    for line in setup_literal('CONSOLE_SCRIPTS'):
        name, target = (part.strip() for part in line.split('='))
        module, function = target.split(':')
        out[name] = (module, function)
    return out


def extras() -> List[str]:
    """The names of setup.py's optional dependency groups (``pip install '.[name]'``)."""
    return sorted(setup_literal('EXTRAS'))
