"""The one reader of peak resident memory (fgvc.benchmark.memory.peak_rss_mib)
against the kernel's own figures: a fresh process's high-water mark, and a
child that touched a known amount of memory."""

import json
import os
import subprocess
import sys
from pathlib import Path

from fgvc.benchmark.memory import peak_rss_mib

ROOT = Path(__file__).resolve().parents[2]
CHILD_MIB = 200
#: getrusage and /proc/self/status count the high-water mark at different
#: moments (a page fault apart); units off by 1024 would miss by far more.
TOLERANCE_MIB = 16
#: A fresh process (this one's VmHWM may have been reset by PeakMemory) that
#: touches CHILD_MIB, then prints its peak both ways.
READ_BOTH = f"""
import json, re
from fgvc.benchmark.memory import peak_rss_mib
b = bytearray({CHILD_MIB} * 2**20)
b[::4096] = b'x' * len(b[::4096])
status = open('/proc/self/status').read()
hwm = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) / 1024
print(json.dumps(dict(peak=peak_rss_mib(), hwm=hwm)))
"""


def test_the_peak_is_the_kernels_high_water_mark_in_mib():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Started through a shell that forks it: a process exec'd straight from
    # this one (subprocess uses vfork) inherits pytest's own high-water mark
    # in ru_maxrss, hundreds of MiB late in a full run.
    out = subprocess.run(
        ['sh', '-c', '"$0" -c "$1"; :', sys.executable, READ_BOTH],
        env=env,
        capture_output=True,
        check=True,
    )
    read = json.loads(out.stdout)
    assert read['hwm'] > CHILD_MIB
    assert abs(read['peak'] - read['hwm']) < TOLERANCE_MIB


def test_a_child_that_touched_memory_shows_in_the_children_peak():
    touch = f'b = bytearray({CHILD_MIB} * 2**20); b[::4096] = b"x" * len(b[::4096])'
    subprocess.run([sys.executable, '-c', touch], check=True)
    assert peak_rss_mib(children=True) >= CHILD_MIB
