"""The package works where it is installed: one version, configs found from
any folder (the clone's or the installed copy), console commands that exist
and that the tools/*.py scripts share."""

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config
from project_setup import console_scripts

import fgvc
from fgvc.apis.predictor import DEFAULT_CONFIG
from fgvc.evaluation.tasks import git_commit, provenance
from fgvc.resources import config_path, config_root
from fgvc.version import __version__

REPO_ROOT = Path(__file__).resolve().parents[2]
#: tools/*.py scripts that run a console command's main.
TOOL_COMMANDS = {
    'demo.py': 'fgvc-demo',
    'track_stream.py': 'fgvc-track-stream',
    'train.py': 'fgvc-train',
    'test.py': 'fgvc-test',
    'eval_real.py': 'fgvc-eval-real',
    'score.py': 'fgvc-score',
    'export.py': 'fgvc-export',
    'web_demo.py': 'fgvc-web',
    'data/prepare.py': 'fgvc-prepare',
}


def test_the_version_is_written_once():
    assert fgvc.__version__ == __version__
    assert re.fullmatch(r'\d+\.\d+\.\d+', __version__)
    built = subprocess.run(
        [sys.executable, 'setup.py', '--version'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[-1]
    assert built == __version__
    literal = f"'{__version__}'"
    holders = [
        p.relative_to(REPO_ROOT).as_posix()
        for p in [REPO_ROOT / 'setup.py', *sorted((REPO_ROOT / 'fgvc').rglob('*.py'))]
        if literal in p.read_text()
    ]
    assert holders == ['fgvc/version.py']


def test_provenance_records_the_version_and_no_foreign_commit(tmp_path):
    assert provenance(None, DEFAULT_CONFIG)['fgvc_version'] == __version__
    # an installed package inside someone else's repository names no commit
    repo = tmp_path / 'project'
    (repo / 'venv' / 'site-packages').mkdir(parents=True)
    subprocess.run(['git', 'init', '-q', str(repo)], check=True)
    assert git_commit(str(repo / 'venv' / 'site-packages')) is None
    head = subprocess.run(
        ['git', '-C', str(REPO_ROOT), 'rev-parse', 'HEAD'], capture_output=True, text=True
    ).stdout.strip()
    if head:  # a checkout (a source archive has no commit to name)
        assert git_commit(str(REPO_ROOT)).split('+')[0] == head


def test_configs_resolve_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert config_root() == REPO_ROOT / 'configs'
    path = config_path('eval/res18_d1_eval.py')
    assert path == DEFAULT_CONFIG == str(REPO_ROOT / 'configs' / 'eval' / 'res18_d1_eval.py')
    cfg = Config.fromfile(path)  # its _base_ files resolve too
    assert 'tasks' in cfg and 'model' in cfg


def test_an_installed_copy_reads_its_own_configs(tmp_path):
    """Laid out as a wheel installs it (fgvc/configs inside the package), the
    shipped copy is read, from a folder outside the clone."""
    site = tmp_path / 'site-packages'
    package = site / 'fgvc'
    package.mkdir(parents=True)
    for name in ('__init__.py', 'version.py', 'resources.py'):
        shutil.copy(REPO_ROOT / 'fgvc' / name, package / name)
    shutil.copytree(REPO_ROOT / 'configs', package / 'configs')
    code = (
        'from fgvc.resources import config_path; from mmengine.config import Config; '
        "p = config_path('eval/res18_d1_eval.py'); Config.fromfile(p); print(p)"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run(
        [sys.executable, '-c', code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(package / 'configs' / 'eval' / 'res18_d1_eval.py')


def test_console_commands_name_functions_in_the_package():
    commands = console_scripts()
    assert set(TOOL_COMMANDS.values()) <= set(commands)
    for name, (module, function) in commands.items():
        assert module.startswith('fgvc.'), name
        assert callable(getattr(importlib.import_module(module), function)), name


@pytest.mark.parametrize('tool, command', sorted(TOOL_COMMANDS.items()))
def test_tools_run_the_console_commands_main(tool, command):
    spec = importlib.util.spec_from_file_location('tool_wrapper', REPO_ROOT / 'tools' / tool)
    wrapper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wrapper)
    module, function = console_scripts()[command]
    assert wrapper.main is getattr(importlib.import_module(module), function)
