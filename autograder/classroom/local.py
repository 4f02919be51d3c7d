"""Local workers: processes forked from a fork server that has imported the grader (torch included)
once, so a pool of N workers costs one import, not N, and starts while the class-level process sets
up the gradebook. With CUDA devices, each worker is pinned to one (CUDA_VISIBLE_DEVICES,
round-robin) and the default is one worker, hence one submission, per device.
"""

import os
import re
import sys

WORKER_ENV = "AUTOGRADER_GRADING_WORKER"
if os.environ.get(WORKER_ENV) == "1" and "jsonschema" not in sys.modules:
    # In the workers' fork server only: nbformat imports jsonschema, which imports rfc3987_syntax
    # where it is installed, and that builds a grammar at import (~1 s of CPU) for IRI checks that
    # grading never makes. Without it jsonschema just skips that format.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterator  # noqa: E402

from ..grading.task import GradeTask, WorkerAnswer, grade_task  # noqa: E402  (cheap: torch is imported by _warm_up)


def cuda_devices() -> list[str]:
    """The CUDA devices this machine offers, without initialising CUDA: CUDA_VISIBLE_DEVICES if set,
    else one per /dev/nvidiaN. Empty without a GPU."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    count = sum(1 for p in Path("/dev").glob("nvidia*") if re.fullmatch(r"nvidia\d+", p.name))
    return [str(i) for i in range(count)]


def cores() -> int:
    """The cores this process may run on (a container's or a batch job's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_workers() -> int:
    """One submission per GPU where there are GPUs, else one per core."""
    return len(cuda_devices()) or cores()


# What every worker needs, imported once by the fork server (see _warm_up at the end of this file).
# torch._dynamo: torch imports it lazily at the first optimizer a test builds (~1.5 s of CPU, sympy
# included), in every worker otherwise.
_PRELOAD = ["autograder.grading.submission", "torch._dynamo", "IPython.core.inputtransformer2"] + sorted(
    f"autograder.checks.{p.stem}" for p in (Path(__file__).resolve().parent.parent / "checks").glob("*.py")
    if p.stem != "__init__")


def _warm_up() -> None:
    """In the fork server: import what the workers need. A module that fails to import is left to
    fail in the workers, where it costs each submission a "grader error" status, not the whole run."""
    import importlib

    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    try:  # what the sandboxes may see: read once from the installed packages' records (~1 s)
        importlib.import_module("autograder.sandbox.view").allowed_entries()
    except Exception:
        pass


def _start_worker(counter: Any, devices: list[str], threads: int) -> None:
    """Pool initializer: torch threads for this worker's share of the cores (the tests' tensors are
    small: more threads than cores only spin), and one CUDA device for this worker and the sandboxes
    it starts, round-robin."""
    import torch

    torch.set_num_threads(threads)
    if devices:
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # the numbering the sandbox's device nodes follow
        os.environ["CUDA_VISIBLE_DEVICES"] = devices[index % len(devices)]


class LocalBackend:
    """`workers` processes forked from a fork server that has imported the grader once."""

    def __init__(self, workers: int, devices: list[str]) -> None:
        import multiprocessing
        from multiprocessing import forkserver

        self.workers = max(1, workers)
        # a fork server: no fork of this process (it may hold threads), no fresh import per worker
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])  # which, there, runs _warm_up()
        before = os.environ.get(WORKER_ENV)
        os.environ[WORKER_ENV] = "1"  # seen by the fork server (and its workers) only
        try:
            forkserver.ensure_running()  # starts importing now, while the caller does other work
        finally:
            if before is None:
                del os.environ[WORKER_ENV]
            else:
                os.environ[WORKER_ENV] = before
        counter = context.Value("i", 0)
        threads = max(1, cores() // self.workers)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_start_worker,
                                        initargs=(counter, list(devices), threads))

    def where(self, tasks: int) -> str:
        return f"{min(self.workers, tasks)} local worker(s)"

    def run(self, tasks: list[GradeTask]) -> Iterator[tuple[str, WorkerAnswer]]:
        """Submit every task now; yield (student, result dict or exception) as they finish."""
        pending: dict[Future, GradeTask] = {self.pool.submit(grade_task, t): t for t in tasks}
        return self._results(pending)

    @staticmethod
    def _results(pending: dict[Future, GradeTask]) -> Iterator[tuple[str, WorkerAnswer]]:
        try:
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(ready, key=lambda f: pending[f].student):
                    task = pending.pop(future)
                    try:
                        data: WorkerAnswer = future.result()
                    except Exception as error:  # a worker that died takes only its own submission
                        data = error
                    yield task.student, data
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def stop_fork_server() -> None:
    """End the workers' fork server now (a LocalBackend started later starts a new one). Left alone it
    ends after this process, taking about a second to tear torch down, and until then it holds this
    process's stdout and stderr open (so a pipe reading them waits for it). Its workers are gone."""
    import signal
    from multiprocessing import forkserver

    server = forkserver._forkserver  # CPython's single fork server; private, hence the care below
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None:
        return
    try:
        with server._lock:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(server._forkserver_alive_fd)
            address = server._forkserver_address
            server._forkserver_pid = server._forkserver_alive_fd = server._forkserver_address = None
        if isinstance(address, str) and os.path.exists(address):
            os.unlink(address)
    except (AttributeError, OSError):
        pass


if os.environ.get(WORKER_ENV) == "1" and "autograder.grading.submission" not in sys.modules:
    _warm_up()  # this module is being preloaded by the workers' fork server
