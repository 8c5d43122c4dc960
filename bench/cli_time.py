#!/usr/bin/env python3
"""cli_time.py: the time of one samtycke command, run COUNT times one after another.

Usage: cli_time.py COUNT LABEL COMMAND ARG...
Each ARG may hold {i}, replaced by the run's number (0, 1, ...), so that a command that
writes can work on a new address each time. Prints one line: the label, the median and the
maximum wall-clock time and the median CPU time (user + system of the command, from
getrusage of the children) in milliseconds. Exits non-zero if a run fails (nothing real was
measured then). Standard library only."""
import resource
import subprocess
import sys
import time

count, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
wall, cpu = [], []
for i in range(count):
    args = [a.replace('{i}', str(i)) for a in cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall.append((time.monotonic() - t0) * 1000)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    if r.returncode != 0:
        sys.exit(f'cli_time: {label}: run {i} exited {r.returncode}: {r.stderr.decode()[:200]}')
wall.sort()
cpu.sort()
print(f'{label:<44} median {wall[count // 2]:.1f} ms wall (max {wall[-1]:.1f}), '
      f'{cpu[count // 2]:.1f} ms CPU; {count} runs')
