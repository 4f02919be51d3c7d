"""The GPU memory of a sandbox's processes, from nvidia-smi (on the host: the sandbox has no programs).

No cgroup counts device memory, and a process that fills a GPU would starve the next submission on it
(one submission per GPU at a time): the memory watch asks nvidia-smi, at most once a second, how much
each of the sandbox's processes holds. Where nvidia-smi is missing or sees no process of ours (some
containers, gVisor), there is no GPU limit, and the allocation fails in the student's code instead.
"""

import shutil
import subprocess
import time
from typing import Optional

QUERY_EVERY = 1.0


def _query(*fields: str) -> list[list[str]]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run([smi, f"--query-{fields[0]}={','.join(fields[1:])}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [[c.strip() for c in line.split(",")] for line in out.splitlines() if line.strip()]


def device_memory_mb() -> Optional[int]:
    """The smallest total memory of this machine's GPUs, in MB (None: nvidia-smi does not say)."""
    sizes = [int(row[0]) for row in _query("gpu", "memory.total") if row and row[0].isdigit()]
    return min(sizes) if sizes else None


class Watch:
    """Whether the given processes hold more GPU memory than the limit."""

    def __init__(self, limit_mb: int = 0) -> None:
        total = device_memory_mb()
        self.limit_mb = limit_mb or (int(total * 0.9) if total else 0)
        self.next = 0.0
        self.peak_mb = 0

    def over(self, pids: list[int]) -> bool:
        if not self.limit_mb or time.monotonic() < self.next:
            return False
        self.next = time.monotonic() + QUERY_EVERY
        ours = set(pids)
        used = sum(int(row[1]) for row in _query("compute-apps", "pid", "used_memory")
                   if len(row) == 2 and row[0].isdigit() and int(row[0]) in ours and row[1].isdigit())
        self.peak_mb = max(self.peak_mb, used)
        return used > self.limit_mb
