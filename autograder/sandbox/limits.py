"""What one submission may use: time per cell and per probe, memory, CPU, output, processes, restarts.

Time limits count the CPU time of the student's processes (the same for correct code however busy
the machine is), with WALL_FACTOR times as much wall time for code that waits without computing
(sandbox/process.py); the whole submission's limit is wall time.
"""

import os
from dataclasses import dataclass


def machine_memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    except (ValueError, OSError, AttributeError):
        return 8192


def default_memory_mb() -> int:
    """Memory per submission: 2 GB (a solution needs ~0.4 GB: Python + torch), less where one worker
    per core would not fit in half the machine's memory; never under 1 GB."""
    per_worker = machine_memory_mb() // 2 // max(1, os.cpu_count() or 1)
    return max(1024, min(2048, per_worker))


@dataclass
class Limits:
    cell_timeout: float = 60.0  # one cell of the student's: seconds of CPU time
    probe_timeout: float = 60.0  # one probe (one test's use of the student's code): seconds of CPU time
    total_timeout: float = 600.0  # the whole submission: seconds of wall time
    memory_mb: int = default_memory_mb()  # the student's processes and the files they write in their tmpfs
    cpus: float = 1.0  # CPU share of one sandbox, where cgroups allow (a neighbour's loops cannot slow it)
    gpu_memory_mb: int = 0  # GPU memory of the student's processes (0: 90% of the device's), where nvidia-smi tells
    output_mb: int = 20  # any file it writes, its printed output included
    restarts: int = 3  # fresh processes after a crash or a timeout, per submission
    processes: int = 256  # processes and threads of the sandbox's uid (root runs only)
