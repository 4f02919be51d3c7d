"""`grade --scheduler tcp://...`: a real Dask cluster on loopback (`dask scheduler` and two
`dask worker` processes, started here and torn down) grades exactly like local workers."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require
from scale_fixtures import (  # noqa: F401  (graded_class is a fixture)
    ASSIGNMENT,
    CLASS,
    LINK_STATUS,
    copy_submissions,
    csv_rows,
    grade,
    graded_class,
    kill_group,
    results,
    wait_for,
    without_timing,
)

from autograder.classroom.cluster import _wants_gpu, parse_job_options
from autograder.classroom.local import cuda_devices

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses

DASK = str(Path(sys.executable).parent / "dask")


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler on 127.0.0.1 and two single-threaded worker processes (one GPU each where there are
    GPUs); yields the scheduler's address."""
    root = tmp_path_factory.mktemp("dask")
    scheduler_file = root / "scheduler.json"
    procs = []
    logs = []

    def start(name: str, *args: str, env: dict | None = None) -> None:
        log = open(root / f"{name}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen([DASK, *args], stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                      start_new_session=True, env=env))

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(scheduler_file))
        wait_for(lambda: scheduler_file.is_file() and scheduler_file.stat().st_size > 0, 60, "the Dask scheduler")
        address = json.loads(scheduler_file.read_text())["address"]
        gpus = cuda_devices()
        for i in range(2):
            env = dict(os.environ)
            extra = []
            if gpus:  # one GPU per worker process, advertised as a resource
                env["CUDA_VISIBLE_DEVICES"] = gpus[i % len(gpus)]
                extra = ["--resources", "GPU=1"]
            start(f"worker{i}", "worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                  "--no-dashboard", "--memory-limit", "0", "--death-timeout", "60", *extra, env=env)
        from distributed import Client

        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            kill_group(proc)
        for log in logs:
            log.close()


def test_dask_cluster_grades_like_local_workers(dask_cluster, graded_class, tmp_path):  # noqa: F811
    course = copy_submissions(graded_class, tmp_path / "dask")
    run = grade(course, "--scheduler", dask_cluster, "--no-report")
    assert "on the Dask cluster at tcp://127.0.0.1:" in run.stderr, run.stderr
    assert csv_rows(course)["fay-link"]["status"] == LINK_STATUS  # the link's target never travelled
    assert without_timing(csv_rows(course)) == without_timing(csv_rows(graded_class))
    assert results(course) == results(graded_class)
    assert len([line for line in run.stderr.splitlines() if line.startswith("[")]) == len(CLASS)


def test_jobqueue_cluster_grades_like_local_workers(graded_class, tmp_path):  # noqa: F811
    """`--jobqueue local`: dask-jobqueue writes the job script a Slurm or PBS node would run (this venv's
    python, one single-threaded worker per core) and runs it here instead of submitting it; the grade
    command starts that cluster, grades on it, and ends the jobs when done."""
    require(importlib.util.find_spec("dask_jobqueue") is not None, "dask-jobqueue (requirements.txt)")
    course = copy_submissions(graded_class, tmp_path / "jobqueue")
    run = grade(course, "--jobqueue", "local", "--jobs", "1", "--job-cores", "2", "--job-option", "interface=lo",
                "--job-option", "walltime=00:30:00", "--no-report")
    assert "asked local for 1 job(s) of 2 worker(s); scheduler at tcp://127.0.0.1:" in run.stderr, run.stderr
    assert without_timing(csv_rows(course)) == without_timing(csv_rows(graded_class))
    assert results(course) == results(graded_class)
    leftover = subprocess.run(["pgrep", "-f", "distributed.cli.dask_worker tcp://127.0.0.1"], capture_output=True,
                              text=True)
    assert leftover.stdout == "", "the jobs outlived the run"


def test_job_options_parse_as_json_or_text():
    assert parse_job_options(["queue=short", "processes=4", 'job_extra_directives=["--gres=gpu:1"]',
                              "walltime=01:00:00"]) == {"queue": "short", "processes": 4, "walltime": "01:00:00",
                                                        "job_extra_directives": ["--gres=gpu:1"]}
    with pytest.raises(ValueError, match="key=value"):
        parse_job_options(["queue"])


def test_tasks_ask_for_a_gpu_only_where_workers_offer_one():
    class FakeClient:
        def __init__(self, resources):
            self.resources = resources

        def scheduler_info(self, n_workers=5):
            return {"workers": {f"tcp://w{i}": {"resources": r} for i, r in enumerate(self.resources)}}

    assert not _wants_gpu(FakeClient([{}, {}]))
    assert _wants_gpu(FakeClient([{}, {"GPU": 1}]))
