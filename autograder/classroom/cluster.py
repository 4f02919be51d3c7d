"""Grade on a Dask cluster (`python -m autograder grade A --scheduler tcp://host:port`, or a cluster
started for the run by dask-jobqueue: `--jobqueue slurm`).

The submissions travel *with the tasks*: this process chooses each submission's notebook by the
same rule as local grading (submission/choose.py: links refused, a renamed notebook noted) and
sends its bytes (the source notebook goes to the cluster once per run, as a piece of data the tasks
depend on); the worker writes them into a private temporary folder before grading. So workers need
no shared filesystem and never see the course folder (nor the other students' work), and a worker
grades exactly the bytes this process read. Results (plain dicts) come back as they finish; the
gradebook, `result.json`, feedback and `grades.csv` are written by this process only, as with local
workers.

Workers need the same Python environment (this repository's `autograder` package importable,
the same torch) and, for the sandbox, the same kernel permissions as a local run. Each worker
process grades one submission at a time (tests bind the student's sandbox globally): start them
with `--nthreads 1`; a worker started with more threads still grades one at a time per process.
GPUs: start one worker process per GPU with `--resources GPU=1` (and CUDA_VISIBLE_DEVICES set
for it); when any worker advertises a GPU resource, every task asks for one GPU, so each GPU
grades one submission at a time.
"""

from __future__ import annotations

import tempfile
import threading
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

from ..grading.task import GradeTask, WorkerAnswer, grade_task
from ..submission.choose import Choice, choose_notebook
from ..submission.read import MAX_NOTEBOOK_BYTES
from .resume import current_fingerprint

_ONE_AT_A_TIME = threading.Lock()  # per worker process: grading binds global state (the student's sandbox)


@dataclass(frozen=True)
class PackedSubmission:
    """The chosen notebook as {file name: bytes} (a file over the size limit travels as its size only:
    it is rejected unread), or the reason no notebook was chosen."""

    files: dict[str, Union[bytes, int]] = field(default_factory=dict)
    refused: Optional[str] = None

    @property
    def sized(self) -> bool:
        """Whether the notebook travels as its size only (its fingerprint is then taken here)."""
        return any(isinstance(data, int) for data in self.files.values())


def pack_submission(expected: str, folder: Path) -> PackedSubmission:
    """What a worker needs to grade `folder`: the notebook choose_notebook picks there."""
    choice = choose_notebook(folder, expected)
    if choice.path is None:
        return PackedSubmission(refused=choice.note or "no notebook")
    size = choice.path.stat().st_size
    return PackedSubmission({choice.path.name: size if size > MAX_NOTEBOOK_BYTES else choice.path.read_bytes()})


def unpack_submission(packed: PackedSubmission, root: Path) -> Choice:
    """Write a packed submission under `root`: the folder holds the chosen notebook, under its own name
    (so the worker's choice notes a renamed one as the class-level process would)."""
    folder = root / "submission"
    if packed.refused is not None:
        return Choice(None, packed.refused)
    folder.mkdir(parents=True)
    for name, data in packed.files.items():
        path = folder / Path(name).name
        if isinstance(data, int):
            with open(path, "wb") as f:
                f.truncate(data)  # same size, no content: read_submission rejects it by its size
        else:
            path.write_bytes(data)
    return Choice(folder)


def grade_packed(task: GradeTask, source_bytes: bytes, packed: PackedSubmission) -> dict:
    """The Dask task: rebuild the submission in a temporary folder and grade it."""
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="autograder-dask-") as tmp:
        root = Path(tmp)
        source = root / "source" / Path(task.source).name
        source.parent.mkdir()
        source.write_bytes(source_bytes)
        unpacked = unpack_submission(packed, root)
        if unpacked.path is None:
            return grade_task(replace(task.with_files(source, root / "submission"), refused=unpacked.note))
        return grade_task(task.with_files(source, unpacked.path))


def _workers(client: Any) -> dict:
    """The cluster's workers: {address: info}."""
    try:
        info = client.scheduler_info(n_workers=-1)  # newer distributed lists only a few workers by default
    except TypeError:
        info = client.scheduler_info()
    return info.get("workers", {})


def _wants_gpu(client: Any) -> bool:
    """Whether some worker of the cluster offers a GPU resource."""
    workers = _workers(client)
    return any(float((w.get("resources") or {}).get("GPU", 0)) > 0 for w in workers.values())


def _warn_threads(client: Any, progress: Optional[Callable[[str], None]]) -> None:
    """Say so when workers run several threads: each process grades one submission at a time anyway."""
    workers = _workers(client)
    threaded = sorted(a for a, w in workers.items() if int(w.get("nthreads", 1)) > 1)
    if threaded and progress is not None:
        progress(f"note: {len(threaded)} Dask worker(s) run several threads (e.g. {threaded[0]}); each worker "
                 "process grades one submission at a time: start workers with --nthreads 1 --nworkers N")


def _data(value: Any) -> Any:
    """A task that returns its argument: data put on the cluster once, fetched by the tasks that need it."""
    return value


class DaskBackend:
    """Grading on the Dask scheduler at `address` (one client for the run)."""

    def __init__(self, address: str, timeout: float = 30.0, gpu: Optional[bool] = None,
                 wait_for_workers: float = 120.0, progress: Optional[Callable[[str], None]] = None) -> None:
        self.address, self.timeout, self.gpu = address, timeout, gpu
        self.wait_for_workers, self.progress = wait_for_workers, progress
        self.client: Any = None
        self.futures: dict[Any, GradeTask] = {}
        self.sources: dict[str, Any] = {}  # the source notebook's future: held until the run ends

    def where(self, tasks: int) -> str:
        return f"the Dask cluster at {self.address}"

    def run(self, tasks: list[GradeTask]) -> Iterator[tuple[str, WorkerAnswer]]:
        """Submit every task (asking each for one GPU resource when some worker offers GPUs; a cluster
        that has no worker yet, e.g. dask-jobqueue scaling up, gets `wait_for_workers` seconds to show
        one); yield (student, result dict or exception) in the order they finish."""
        from distributed import Client

        self.client = Client(self.address, timeout=self.timeout, set_as_default=False)
        early: list[tuple[str, WorkerAnswer]] = []
        sized: set[str] = set()
        try:
            gpu = self.gpu
            if gpu is None:
                if not _workers(self.client):
                    if self.progress is not None:
                        self.progress(f"waiting up to {self.wait_for_workers:.0f} s for a Dask worker to join "
                                      f"{self.address}")
                    try:
                        self.client.wait_for_workers(1, timeout=self.wait_for_workers)
                    except (TimeoutError, OSError):
                        pass  # the tasks wait in the scheduler's queue until workers come
                gpu = _wants_gpu(self.client)
            _warn_threads(self.client, self.progress)
            run_id = uuid.uuid4().hex[:8]  # keys unique to this run: never another run's cached result
            for task in tasks:
                source = Path(task.source)
                if task.source not in self.sources:  # once per run, not once per task
                    self.sources[task.source] = self.client.submit(
                        _data, source.read_bytes(), key=f"source-{task.assignment}-{run_id}", pure=False)
                try:
                    packed = pack_submission(source.name, Path(task.folder))
                except OSError as error:
                    early.append((task.student, error))
                    continue
                if packed.sized:
                    sized.add(task.student)
                future = self.client.submit(grade_packed, task, self.sources[task.source], packed,
                                            key=f"grade-{task.assignment}-{task.student}-{run_id}", pure=False,
                                            resources={"GPU": 1} if gpu else None)
                self.futures[future] = task
        except BaseException:
            self.close()
            raise
        return self._results(early, sized)

    def _results(self, early: list[tuple[str, WorkerAnswer]], sized: set[str]) -> Iterator[tuple[str, WorkerAnswer]]:
        from distributed import as_completed

        try:
            yield from early
            for future in as_completed(list(self.futures), loop=self.client.loop):
                task = self.futures.pop(future)
                try:
                    data: WorkerAnswer = future.result()
                except Exception as error:  # a worker lost for good (KilledWorker), a bug: this student only
                    data = error
                if isinstance(data, dict) and task.student in sized:  # the worker saw a stand-in of that size
                    data["fingerprint"] = current_fingerprint(Path(task.source), Path(task.folder)) \
                        or data.get("fingerprint", "")
                yield task.student, data
        finally:
            self.close()

    def close(self) -> None:
        if self.client is not None:
            if self.futures:
                self.client.cancel(list(self.futures))
            self.client.close()
            self.client = None


# --jobqueue KIND -> dask-jobqueue's cluster class ("local": its test cluster, the same job scripts run here)
JOBQUEUE_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
                    "htcondor": "HTCondorCluster", "oar": "OARCluster", "moab": "MoabCluster", "local": "LocalCluster"}


def parse_job_options(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs for the dask-jobqueue cluster class; a value that reads as JSON is that
    (`job_extra_directives=["--gres=gpu:1"]`, `processes=4`), anything else a string (`queue=short`)."""
    import json

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--job-option {pair!r}: write key=value")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


def start_jobqueue(kind: str, jobs: int, cores: int, memory: str, options: dict[str, Any],
                   progress: Optional[Callable[[str], None]] = None) -> Any:
    """Start a dask-jobqueue cluster of `kind` (the batch system: `local` runs the same job scripts as
    local processes, for a test) and ask for `jobs` jobs of `cores` single-threaded worker processes
    each, in this Python environment. Returns the cluster: grade on `cluster.scheduler_address`, then
    `cluster.close()` (which ends the jobs)."""
    import sys

    try:
        import dask_jobqueue
    except ImportError as error:
        raise RuntimeError("--jobqueue needs dask-jobqueue (pip install -r requirements.txt)") from error
    if kind == "local":
        from dask_jobqueue.local import LocalCluster as cluster_class
    else:
        cluster_class = getattr(dask_jobqueue, JOBQUEUE_CLASSES[kind])
    # processes = cores: one single-threaded worker per core, each grading one submission at a time
    settings: dict[str, Any] = {"cores": cores, "processes": cores, "memory": memory, "python": sys.executable}
    settings.update(options)
    cluster = cluster_class(**settings)
    cluster.scale(jobs=jobs)
    if progress is not None:
        progress(f"asked {kind} for {jobs} job(s) of {cores} worker(s); scheduler at {cluster.scheduler_address}")
    return cluster
