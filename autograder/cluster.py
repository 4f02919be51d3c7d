"""Grade on an existing Dask cluster (`python -m autograder grade A --scheduler tcp://host:port`).

The submissions travel *with the tasks*: this process reads each submission's notebook(s) and
sends the bytes (the source notebook goes to the cluster once per run, as a piece of data the
tasks depend on), and the worker writes them into a private temporary folder before grading. So
workers need no shared filesystem and never see the course folder (nor the other students'
work), and a worker grades exactly the bytes this process read.
Results (plain dicts) come back as they finish; the gradebook, `result.json`, feedback and
`grades.csv` are written by this process only, as with local workers.

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
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

_ONE_AT_A_TIME = threading.Lock()  # per worker process: grading binds global state (the student's sandbox)
NOT_A_FOLDER = "not a folder"


def pack_submission(source: Path, folder: Path) -> tuple[Any, bool]:
    """What a worker needs to rebuild `folder`: {file name: bytes} of the notebook(s) find_notebook
    would look at (a file over the size limit travels as its size only: it is rejected unread), or
    NOT_A_FOLDER; and whether some file was sent as a size only."""
    from .notebook import MAX_NOTEBOOK_BYTES

    if not folder.is_dir():
        return NOT_A_FOLDER, False
    exact = folder / source.name
    paths = [exact] if exact.is_file() else sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    files: dict[str, Any] = {}
    sized = False
    for path in paths:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            files[path.name], sized = size, True
        else:
            files[path.name] = path.read_bytes()
    return files, sized


def unpack_submission(files: Any, root: Path) -> Path:
    """Write a packed submission under `root`; the folder to grade (missing if it was not a folder)."""
    folder = root / "submission"
    if files == NOT_A_FOLDER:
        return folder
    folder.mkdir(parents=True)
    for name, data in files.items():
        path = folder / Path(name).name
        if isinstance(data, int):
            with open(path, "wb") as f:
                f.truncate(data)  # same size, no content: read_submission rejects it by its size
        else:
            path.write_bytes(data)
    return folder


def grade_packed(fn: Callable[..., dict], source_name: str, source_bytes: bytes, files: Any, student: str,
                 assignment: str, limits: dict, isolation: str) -> dict:
    """The Dask task: rebuild the submission in a temporary folder and grade it with `fn` (grade_one)."""
    with _ONE_AT_A_TIME, tempfile.TemporaryDirectory(prefix="autograder-dask-") as tmp:
        root = Path(tmp)
        source = root / "source" / source_name
        source.parent.mkdir()
        source.write_bytes(source_bytes)
        folder = unpack_submission(files, root)
        return fn(str(source), str(folder), student, assignment, limits, isolation)


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


class DaskRun:
    """Tasks already submitted; iterate for (student, result dict or exception) as they finish."""

    def __init__(self, client: Any, futures: dict, early: list, refresh: dict, keep: list) -> None:
        self.client, self.futures, self.early, self.refresh = client, futures, early, refresh
        self.keep = keep  # the source notebook's future: held until the run ends

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        from distributed import as_completed

        try:
            yield from self.early
            for future in as_completed(list(self.futures), loop=self.client.loop):
                student, folder, source = self.futures.pop(future)
                try:
                    data: Any = future.result()
                except Exception as error:  # a worker lost for good (KilledWorker), a bug: this student only
                    data = error
                if isinstance(data, dict) and student in self.refresh:
                    from .classroom import current_fingerprint

                    data["fingerprint"] = current_fingerprint(source, folder) or data.get("fingerprint", "")
                yield student, data
        finally:
            self.close()

    def close(self) -> None:
        if self.client is not None:
            if self.futures:
                self.client.cancel(list(self.futures))
            self.client.close()
            self.client = None


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


def run_on_dask(address: str, fn: Callable[..., dict], args: list[tuple], timeout: float = 30.0,
                gpu: Optional[bool] = None, wait_for_workers: float = 120.0,
                progress: Optional[Callable[[str], None]] = None) -> DaskRun:
    """Submit `fn(*a)` for each `a` in `args` (grade_one's arguments: source path, submission folder,
    student, assignment, limits, isolation) to the Dask scheduler at `address`, shipping the files.

    Returns an iterable of (student, result dict or exception) in the order they finish. `gpu`:
    ask each task for one GPU resource (None: when some worker offers GPUs; a cluster that has no
    worker yet, e.g. dask-jobqueue scaling up, gets `wait_for_workers` seconds to show one)."""
    from distributed import Client

    client = Client(address, timeout=timeout, set_as_default=False)
    try:
        if gpu is None:
            if not _workers(client):
                if progress is not None:
                    progress(f"waiting up to {wait_for_workers:.0f} s for a Dask worker to join {address}")
                try:
                    client.wait_for_workers(1, timeout=wait_for_workers)
                except (TimeoutError, OSError):
                    pass  # the tasks wait in the scheduler's queue until workers come
            gpu = _wants_gpu(client)
        _warn_threads(client, progress)
        run_id = uuid.uuid4().hex[:8]  # keys unique to this run: never another run's cached result
        sources: dict[str, Any] = {}
        futures: dict[Any, tuple] = {}
        early: list[tuple[str, Any]] = []
        refresh: dict[str, bool] = {}
        for source_path, folder, student, assignment, limits, isolation in args:
            source = Path(source_path)
            if source_path not in sources:  # once per run, not once per task
                sources[source_path] = client.submit(_data, source.read_bytes(), key=f"source-{assignment}-{run_id}",
                                                     pure=False)
            try:
                files, sized = pack_submission(source, Path(folder))
            except OSError as error:
                early.append((student, error))
                continue
            if sized:
                refresh[student] = True
            future = client.submit(grade_packed, fn, source.name, sources[source_path], files, student,
                                   assignment, limits, isolation, key=f"grade-{assignment}-{student}-{run_id}",
                                   pure=False, resources={"GPU": 1} if gpu else None)
            futures[future] = (student, Path(folder), source)
        futures_sources = list(sources.values())
    except BaseException:
        client.close()
        raise
    return DaskRun(client, futures, early, refresh, futures_sources)


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
