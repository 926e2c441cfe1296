"""Encoders on real clips, with and without test-time adaptation, beside references.

``tools/eval_real.py --encoder NAME=CKPT ... [--davis DIR] [--badja DIR] [--jhmdb DIR]``

Each row (every encoder; with ``--adapt STEPS`` each encoder adapted to every
clip, reading no label but the VOS first-frame mask it is given anyway; the
references ``static`` and ``dis``, the registered StaticTracker and DISTracker) is evaluated on each benchmark like
``tools/test.py`` evaluates a task (the config's ``vos``, ``badja`` and
``jhmdb`` tasks): results in ``--work-dir``/<row>/ (``<task>_summary.json``,
per-video records), resumable with ``--resume``, predictions written with
``--dump`` for ``tools/score.py``. Prints one table, the adaptation's cost
(seconds per step, peak resident memory) and one JSON line. The code is
fgvc/cli/eval_real.py.
"""

from fgvc.cli.eval_real import main

if __name__ == '__main__':
    main()
