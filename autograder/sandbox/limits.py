"""What one submission may use: time per cell and per probe, memory, output, processes, restarts."""

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
    cell_timeout: float = 60.0  # one cell of the student's
    probe_timeout: float = 60.0  # one probe (one test's use of the student's code)
    total_timeout: float = 600.0  # the whole submission
    memory_mb: int = default_memory_mb()  # resident memory of the student's process tree
    output_mb: int = 20  # any file it writes, its printed output included
    restarts: int = 3  # fresh processes after a crash or a timeout, per submission
    processes: int = 256  # processes and threads of the sandbox's uid (root runs only)
