import re
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).resolve().parent

#: Console commands: each runs a ``main`` in the package (tools/*.py call the same ones).
CONSOLE_SCRIPTS = [
    'fgvc-demo = fgvc.cli.demo:main',
    'fgvc-track-stream = fgvc.cli.track_stream:main',
    'fgvc-train = fgvc.cli.train:main',
    'fgvc-test = fgvc.cli.evaluate:main',
    'fgvc-eval-real = fgvc.cli.eval_real:main',
    'fgvc-score = fgvc.cli.score:main',
    'fgvc-export = fgvc.cli.export:main',
    'fgvc-web = fgvc.cli.web:main',
    'fgvc-prepare = fgvc.datasets.prepare.cli:main',
]
EXTRAS = {
    'export': ['onnx', 'onnxruntime'],
    'web': ['gradio>=5'],
    'test': ['pytest', 'pytest-xdist', 'ruff==0.17.6', 'onnx', 'onnxruntime', 'gradio>=5'],
}


def read_version() -> str:
    """``__version__`` of fgvc/version.py, read without importing the package."""
    text = (ROOT / 'fgvc' / 'version.py').read_text()
    return re.search(r"^__version__ = '([^']+)'$", text, re.M).group(1)


def read_requirements(path: str) -> list:
    lines = (ROOT / path).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


readme = ROOT / 'README.md'
setup(
    name='fgvc',
    version=read_version(),
    description='Learning fine-grained features for pixel-wise video correspondence',
    long_description=readme.read_text() if readme.exists() else '',
    long_description_content_type='text/markdown',
    license='MIT',
    # The repository's configs/ folder ships inside the package as fgvc/configs
    # (read through fgvc.resources), so an installed wheel finds them; so does
    # the model zoo: its manifest, the shipped weights and their training-log summaries.
    packages=find_packages(include=['fgvc', 'fgvc.*']) + ['fgvc.configs'],
    package_dir={'fgvc.configs': 'configs'},
    package_data={
        'fgvc.configs': ['**/*.py'],
        'fgvc': ['weights/*.json', 'weights/*.safetensors', 'weights/*.md'],
    },
    python_requires='>=3.9',
    install_requires=read_requirements('requirements.txt'),
    extras_require=EXTRAS,
    entry_points={'console_scripts': CONSOLE_SCRIPTS},
)
