"""Run a Python script, SIGKILLing it just before its N-th checkpoint file event.

    python tests/kill_at.py N EVENT_LOG SCRIPT [ARGS...]

The events are ``os.replace`` onto and ``os.remove`` of ``*.pth`` and
``last_checkpoint`` files, in the order the script makes them; each is
appended to EVENT_LOG (``replace epoch_1.pth``) before it happens. N < 0
never kills (to record the events of an uninterrupted run).
"""

import os
import os.path as osp
import runpy
import signal
import sys

WATCHED_SUFFIXES = ('.pth', 'last_checkpoint')


def main() -> None:
    kill_at, log_path, script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    count = 0

    def watch(name: str, call, target_index: int):
        def wrapper(*args, **kwargs):
            nonlocal count
            target = osp.basename(str(args[target_index]))
            if target.endswith(WATCHED_SUFFIXES) and not target.startswith('.'):
                if count == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                with open(log_path, 'a') as log:
                    log.write(f'{name} {target}\n')
                count += 1
            return call(*args, **kwargs)

        return wrapper

    os.replace = watch('replace', os.replace, 1)
    os.remove = watch('remove', os.remove, 0)
    sys.argv = sys.argv[3:]
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()
