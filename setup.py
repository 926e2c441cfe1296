from setuptools import find_packages, setup


def read_requirements(path: str) -> list:
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


setup(
    name='fgvc',
    version='0.1.0',
    description='Learning fine-grained features for pixel-wise video correspondence',
    long_description=open('README.md').read() if __import__('os').path.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='MIT',
    packages=find_packages(include=['fgvc', 'fgvc.*']),
    # the model zoo: its manifest, the shipped weights and their training-log summaries
    package_data={'fgvc': ['weights/*.json', 'weights/*.safetensors', 'weights/*.md']},
    python_requires='>=3.9',
    install_requires=read_requirements('requirements.txt'),
    extras_require={
        'export': ['onnx', 'onnxruntime'],
        'web': ['gradio>=5'],
        'test': ['pytest', 'pytest-xdist', 'ruff==0.17.6', 'onnx', 'onnxruntime', 'gradio>=5'],
    },
)
