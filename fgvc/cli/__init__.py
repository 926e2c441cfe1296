"""What the command-line tools run (``tools/*.py`` keep only their argument parsing).

The top layer of the package with ``tools/``: it may use every other part,
and nothing in the package imports it.
"""
