"""The documentation command checker: which commands it reads from markdown,
and that it refuses commands that no longer parse, naming why."""

import argparse
import os
import sys
from pathlib import Path

import pytest
from doc_commands import Command, check_command, extract_commands, parse_only, usage_counts
from project_setup import console_scripts, extras

REPO_ROOT = Path(__file__).resolve().parents[2]

MARKDOWN = """Intro
```bash
# a comment line
OMP_NUM_THREADS=1 python tools/demo.py VIDEO \\
    --queries "0,1.5,2.5;3,4,5" --out out  # trailing comment
python3 -m venv .venv && . .venv/bin/activate
CKPT=work_dirs/x
echo a#b 2>&1 | cat > log.txt
python tools/demo.py skipped  # not checked
```

```python
print('not a shell block')
```

<!-- commands: not checked -->
```bash
python tools/train.py CONFIG [--work-dir DIR]
```
~~~sh
bash tools/run_tests.sh -k x
~~~
"""


def test_extract_commands_reads_shell_blocks_only():
    commands = extract_commands(MARKDOWN, 'doc.md')
    assert [(c.line, c.words) for c in commands] == [
        (4, ('python', 'tools/demo.py', 'VIDEO', '--queries', '0,1.5,2.5;3,4,5', '--out', 'out')),
        (6, ('python3', '-m', 'venv', '.venv')),
        (6, ('.', '.venv/bin/activate')),
        (8, ('echo', 'a#b')),
        (8, ('cat',)),
        (21, ('bash', 'tools/run_tests.sh', '-k', 'x')),
    ]
    assert {c.file for c in commands} == {'doc.md'}


def test_an_unclosed_quote_is_reported():
    (command,) = extract_commands('```bash\npython tools/demo.py "VIDEO\n```\n', 'doc.md')
    problem = check_command(command, REPO_ROOT, REPO_ROOT, console_scripts(), extras())
    assert problem.startswith('cannot split into words')


@pytest.mark.parametrize(
    'words, expected',
    [
        ('python tools/demo.py VIDEO --checkpoint CKPT --queries grid:4', None),
        ('python tools/demo.py VIDEO --no-such-option', 'unrecognized arguments: --no-such-option'),
        ('python tools/demo.py VIDEO --trail many', "invalid int value: 'many'"),
        ('fgvc-demo VIDEO --out out', None),
        ('fgvc-demo --help', None),
        ('fgvc-export none --format tflite --out x', "invalid choice: 'tflite'"),
        ('fgvc-score davis PREDICTIONS', 'the following arguments are required: --work-dir'),
        ('fgvc-demoo VIDEO', 'no console command fgvc-demoo in setup.py'),
        ('python tools/data/prepare.py davis SOURCE --out DIR', None),
        ('python tools/no_such_tool.py', 'no such path in the repository: tools/no_such_tool.py'),
        ('python my_script.py', 'no script my_script.py'),
        (
            'python tools/test.py configs/eval/no_such.py CKPT --task davis',
            'no such path in the repository: configs/eval/no_such.py',
        ),
        ('python -m fgvc.no_such_module', 'failed before parsing: ImportError'),
        ('bash tools/dist_test.sh configs/eval/res18_d1_eval.py 1 davis CKPT --resume', None),
        (
            'bash tools/dist_test.sh configs/eval/res18_d1_eval.py 1 davis',
            'tools/dist_test.sh takes at least 4 arguments by its Usage line, given 3',
        ),
        ('bash tools/quickstart.sh extra', 'takes 0 arguments by its Usage line, given 1'),
        ('bash tools/no_such.sh', 'no such path in the repository: tools/no_such.sh'),
        ('pip install -e .[test,nope]', 'no extra nope in setup.py'),
        ('python -m pip install .[web]', None),
        ('git clone https://example.org/x.git', None),
        ('frobnicate x', "unknown program 'frobnicate'"),
    ],
)
def test_check_command(words, expected, tmp_path):
    command = Command('doc.md', 1, tuple(words.split()))
    problem = check_command(command, REPO_ROOT, tmp_path, console_scripts(), extras())
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_a_program_that_never_parses_is_reported_and_ran_in_the_scratch_folder(tmp_path):
    root, scratch = tmp_path / 'repo', tmp_path / 'scratch'
    (root / 'tools').mkdir(parents=True)
    scratch.mkdir()
    (root / 'tools' / 'work.py').write_text("open('ran.txt', 'w').close()\n")
    command = Command('doc.md', 1, ('python', 'tools/work.py', 'ARG'))
    problem = check_command(command, root, scratch, {}, [])
    assert problem == 'returned without parsing its arguments with argparse'
    assert (scratch / 'ran.txt').exists() and not (root / 'ran.txt').exists()


def test_parse_only_restores_argparse_argv_and_folder(tmp_path):
    before = (argparse.ArgumentParser.parse_args, list(sys.argv), os.getcwd(), list(sys.path))

    def run():
        parser = argparse.ArgumentParser()
        parser.add_argument('n', type=int)
        parser.parse_args()
        raise AssertionError('parse_args returned')

    assert parse_only(run, ['prog', '3'], tmp_path) is None
    assert parse_only(run, ['prog', 'three'], tmp_path).startswith('does not parse: ')
    after = (argparse.ArgumentParser.parse_args, list(sys.argv), os.getcwd(), list(sys.path))
    assert after == before


def test_usage_counts_of_the_shell_tools():
    tools = REPO_ROOT / 'tools'
    assert usage_counts(tools / 'dist_test.sh') == (4, None)
    assert usage_counts(tools / 'dist_train.sh') == (2, None)
    assert usage_counts(tools / 'quickstart.sh') == (0, 0)
    assert usage_counts(tools / 'slurm_train.sh') == (3, None)
