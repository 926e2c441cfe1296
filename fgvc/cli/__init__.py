"""The command-line programs: each module's ``main`` is a console command
(setup.py; all but ``convert``) and is what the matching ``tools/*.py``
script runs (the scripts keep nothing else); the others hold what several
tools run.

The top layer of the package with ``tools/``: it may use every other part,
and nothing in the package imports it.
"""
