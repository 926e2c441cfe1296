"""The command-line programs: each module's ``main`` is a console command
(setup.py) and is what the matching ``tools/*.py`` script runs."""
