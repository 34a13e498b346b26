"""CPU of a command and of every process it starts, by program, read from /proc (Linux).

``/usr/bin/time`` counts only the children each process waited for: Chromium's renderers, which
its zygote starts, mostly escape it. ``python -m bench.tree_cpu -- pytest -n 0 -m browser``
looks at the command's whole process tree every 0.3 s and prints the last CPU time it saw of
each process (one living less than that may be missed), summed by program.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (user + system) so far."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def _program(pid: int) -> str | None:
    """The program's name: ``chromium``, or a Python module or script and its first word."""
    try:
        words = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").split()
    except OSError:
        return None
    if not words:
        return None
    name = Path(words[0].decode()).name
    if name.startswith("python") and len(words) > 1:
        return "python " + " ".join(Path(word.decode()).name for word in words[1:3])
    return name


def sample(root: int, seen: dict[int, tuple[str, float]]) -> None:
    """Record the program and CPU so far of ``root`` and of everything below it."""
    processes = _processes()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _) in processes.items():
        children[parent].append(pid)
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children[pid])
        if pid in processes:
            program = _program(pid) or seen.get(pid, ("?", 0.0))[0]
            seen[pid] = (program, processes[pid][1])


def main() -> None:
    command = sys.argv[1:]
    if command[:1] == ["--"]:
        command = command[1:]
    seen: dict[int, tuple[str, float]] = {}
    started = time.monotonic()
    with subprocess.Popen(command) as process:
        while process.poll() is None:
            sample(process.pid, seen)
            time.sleep(0.3)
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for program, cpu in seen.values():
        totals[program][0] += 1
        totals[program][1] += cpu
    print(f"\nwall {time.monotonic() - started:.0f} s")
    print(" processes   CPU s  program")
    for program, (count, cpu) in sorted(totals.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"{count:10.0f} {cpu:7.1f}  {program}")
    print(f"{len(seen):10d} {sum(cpu for _, cpu in totals.values()):7.1f}  in all")
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
