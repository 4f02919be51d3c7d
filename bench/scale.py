"""Benchmark: grading a class of N Adam submissions, and where the time goes as N grows.

    .venv/bin/python bench/scale.py --n 1000 --workers 2          # the class of the README's figures
    .venv/bin/python bench/scale.py --n 20 --workers 2 --dask     # the smoke run CI makes (also on Dask)
    .venv/bin/python bench/scale.py --n 200 --workers 1 2 --no-tenth

It builds a class with a realistic mix (60% full marks in the styles of tests/submissions/adam/full_*,
25% partial: one known bug each, 10% blank, 5% broken: invalid JSON, an endless cell, a memory hog, a
crash), grades it with `python -m autograder grade adam --workers W` in this process (so the
class-level steps can be timed: the gradebook, grades.csv, the feedback pages, the similarity step,
the report), and prints for each W: the wall time, seconds per submission, the overhead per
submission beyond the student's cells and the tests (from each result's own timings), the peak
memory of the class-level process and of a worker, the time of each class-level step and the
report's size; then the same at N/10, so that the growth is visible (it should be linear), and how
much faster this machine runs W CPU-bound processes than one (the most W workers can gain here).
With --dask it grades the class again on a local Dask cluster (2 single-threaded workers) and
checks that every grade is the same; with --interrupt it interrupts a run at half the class (SIGINT)
and resumes it, checking that nothing is graded twice and no row is lost.
"""

import argparse
import csv
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.authoring.variants import answered_notebook, solution_answers, variants  # noqa: E402
from autograder.paths import THIS_REPO, Course  # noqa: E402

ASSIGNMENT = "adam"
BROKEN = {
    "invalid-json": None,
    "endless-cell": "while True:\n    pass\n",
    "memory-hog": "hog = []\nwhile True:\n    hog.append(bytearray(50 << 20))\n",
    "crash": "import os\nos.abort()\n",
}


def build_class(course: Path, n: int) -> dict[str, str]:
    """`n` submissions in course/submitted; student id -> kind."""
    source = json.loads(THIS_REPO.source_notebook(ASSIGNMENT).read_text())
    student_nb = json.loads(THIS_REPO.release_notebook(ASSIGNMENT).read_text())
    solution = solution_answers(source, ("code", "markdown"))
    styles = [{}] + [v.answers for v in variants(ASSIGNMENT) if v.expect == "full"]
    bugs = [v.answers for v in variants(ASSIGNMENT) if v.expect == "partial" and "uses" not in v.path.stem]
    layout = Course(course)
    layout.source_notebook(ASSIGNMENT).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(THIS_REPO.source_notebook(ASSIGNMENT), layout.source_notebook(ASSIGNMENT))
    kinds = {}
    for i in range(n):
        slot = i % 20  # 12 full, 5 partial, 2 blank, 1 broken in every 20
        if slot < 12:
            kind, answers = "full", {**solution, **styles[i % len(styles)]}
        elif slot < 17:
            kind, answers = "partial", {**solution, **bugs[i % len(bugs)]}
        elif slot < 19:
            kind, answers = "blank", {}
        else:
            kind = list(BROKEN)[(i // 20) % len(BROKEN)]
            answers = {**solution, "nadam-impl": BROKEN[kind]} if BROKEN[kind] else None
        student = f"s{i:04d}-{kind}"
        folder = layout.submission(student, ASSIGNMENT)
        folder.mkdir(parents=True)
        path = folder / f"{ASSIGNMENT}.ipynb"
        if answers is None:
            path.write_text('{"cells": [ not json')
        else:
            nb = answered_notebook(json.loads(json.dumps(student_nb)), answers)
            path.write_text(json.dumps(nb, indent=1))
        kinds[student] = kind
    return kinds


@contextmanager
def timed(owner: object, name: str, totals: dict) -> Iterator[None]:
    """Time every call of owner.name into totals[name] while in the block."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - started

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def grade(course: Path, workers: int, extra: list[str]) -> dict:
    """Grade in this process with the class-level steps timed; the figures of the run."""
    from autograder.classroom import autograded, feedback, gradebook, grades_csv, report, similarity
    from autograder.classroom.local import stop_fork_server
    from autograder.cli import main

    totals: dict = defaultdict(float)
    steps: list[tuple[object, str]] = [(gradebook.Recorder, "record"), (gradebook, "ensure_assignment"),
                                       (feedback, "write_feedback"), (autograded, "write_autograded"),
                                       (grades_csv, "write_csv"),
                                       (similarity, "apply"), (report, "write_report")]
    started = time.perf_counter()
    with _all(timed(owner, name, totals) for owner, name in steps):
        code = main(["grade", ASSIGNMENT, "--course", str(course), "--workers", str(workers), *extra])
    wall = time.perf_counter() - started
    stop_fork_server()
    assert code == 0, code
    results = [json.loads(p.read_text()) for p in course.glob(f"autograded/*/{ASSIGNMENT}/result.json")]
    inside = [r["timings"].get("cells", 0) + r["timings"].get("tests", 0) for r in results if r.get("timings")]
    n = len(results)
    report_path = Course(course).report(ASSIGNMENT)
    return {
        "n": n, "workers": workers, "wall_s": round(wall, 1), "per_submission_s": round(wall / n, 3),
        # what a submission costs beyond its cells and tests, with the work spread over the workers
        "overhead_per_submission_s": round(wall * workers / n - statistics.fmean(inside or [0]), 3),
        "sandbox_start_median_s": round(statistics.median(r["timings"].get("start", 0) for r in results
                                                          if r.get("timings")), 3),
        "grader_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "gradebook_s": round(totals["record"] + totals["ensure_assignment"], 2),
        "grades_csv_s": round(totals["write_csv"], 2), "feedback_s": round(totals["write_feedback"], 2),
        "autograded_notebooks_s": round(totals["write_autograded"], 2),
        "similarity_s": round(totals["apply"], 2), "report_s": round(totals["write_report"], 2),
        "report_mb": round(report_path.stat().st_size / 2**20, 2) if report_path.is_file() else None,
    }


@contextmanager
def _all(managers: Iterator) -> Iterator[None]:
    entered = []
    try:
        for manager in managers:
            manager.__enter__()
            entered.append(manager)
        yield
    finally:
        for manager in reversed(entered):
            manager.__exit__(None, None, None)


def scores(course: Path) -> dict[str, tuple[str, str, str]]:
    with open(Course(course).grades_csv, newline="") as f:
        return {r["student_id"]: (r["score"], r["status"], r["flags"]) for r in csv.DictReader(f)}


def on_dask(course: Path, extra: list[str]) -> dict:
    """The same class graded on a local Dask cluster (2 single-threaded worker processes)."""
    from distributed import LocalCluster

    from autograder.cli import main

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        started = time.perf_counter()
        code = main(["grade", ASSIGNMENT, "--course", str(course), "--scheduler", cluster.scheduler_address,
                     *extra])
        assert code == 0, code
        return {"wall_s": round(time.perf_counter() - started, 1)}


def interrupted(course: Path, workers: int, extra: list[str]) -> dict:
    """Grade in a subprocess, interrupt it (SIGINT, as Ctrl-C) once half the class is graded, grade
    again: each submission graded once in all, every row there after each run."""
    import signal
    import subprocess

    n = len(list(Course(course).submitted.iterdir()))
    cmd = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course), "--workers",
           str(workers), "--no-report", *extra]
    first = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    graded_first = 0
    assert first.stderr is not None
    for line in first.stderr:
        if line.startswith("["):
            graded_first += 1
            if graded_first >= n // 2:
                first.send_signal(signal.SIGINT)
                break
    first.communicate(timeout=600)
    kept = len(list(course.glob(f"autograded/*/{ASSIGNMENT}/result.json")))
    rows_after_first = len(scores(course))
    second = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=3600)
    graded_second = sum(1 for line in second.stderr.splitlines() if line.startswith("["))
    assert second.returncode == 0, second.stderr[-2000:]
    assert graded_second == n - kept, (graded_second, n, kept)  # nothing kept is graded again
    assert first.returncode == 130, first.returncode  # Ctrl-C: one line and 130, not a traceback
    assert rows_after_first >= kept and len(scores(course)) == n, (rows_after_first, kept)
    return {"interrupted_after": graded_first, "kept": kept, "rows_after_interrupt": rows_after_first,
            "graded_on_resume": graded_second, "exit_code_on_interrupt": first.returncode}


CPU_WORK = """
import time, torch
torch.set_num_threads(1)
a = torch.randn(200, 200, dtype=torch.float64)
started, s = time.perf_counter(), 0
for i in range(1500):
    b = a @ a
    for j in range(300):
        s += j
print(time.perf_counter() - started)
"""


def machine_ceiling(workers: int, tries: int = 3) -> list[float]:
    """How much faster this machine runs `workers` CPU-bound processes at once than one alone: the
    most any grader can gain from those workers here (a virtual machine's cores may be shared with
    other machines on its host, so this changes from one moment to the next)."""
    import subprocess

    def run(n: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", CPU_WORK], stdout=subprocess.PIPE, text=True)
                 for _ in range(n)]
        return max(float(p.communicate()[0]) for p in procs)

    return [round(workers * run(1) / run(workers), 2) for _ in range(tries)]


def copy_class(src: Path, dst: Path) -> Path:
    for folder in ("solutions", "submitted"):
        shutil.copytree(src / folder, dst / folder, symlinks=True)
    return dst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cell-timeout", type=float, default=10, help="seconds of CPU per cell (the endless cells)")
    parser.add_argument("--no-tenth", dest="tenth", action="store_false", help="skip the run at N/10")
    parser.add_argument("--dask", action="store_true", help="also grade on a local Dask cluster, compare grades")
    parser.add_argument("--interrupt", action="store_true",
                        help="also interrupt a run at half the class and resume it (one grading each, no row lost)")
    parser.add_argument("--keep", type=Path, help="keep the classes in this folder")
    args = parser.parse_args()
    extra = ["--cell-timeout", str(args.cell_timeout)]
    root = Path(tempfile.mkdtemp(prefix="scale-")) if args.keep is None else args.keep
    try:
        sizes = [args.n] + ([max(2, args.n // 10)] if args.tenth else [])
        figures = []
        most = max(args.workers)
        ceilings = machine_ceiling(most) if most > 1 else []
        for n in sizes:
            base = root / f"class-{n}"
            build_class(base, n)
            for workers in args.workers:
                course = copy_class(base, root / f"class-{n}-w{workers}")
                figures.append(grade(course, workers, extra))
                print(json.dumps(figures[-1]), flush=True)
        if args.dask:
            reference = root / f"class-{args.n}-w{args.workers[-1]}"
            course = copy_class(root / f"class-{args.n}", root / f"class-{args.n}-dask")
            print(json.dumps({"dask": on_dask(course, extra)}), flush=True)
            assert scores(course) == scores(reference), "the Dask run graded differently"
            print("dask: every grade, status and flag the same as local workers")
        if args.interrupt:
            course = copy_class(root / f"class-{args.n}", root / f"class-{args.n}-interrupted")
            print(json.dumps({"interrupted": interrupted(course, args.workers[-1], extra)}), flush=True)
            print("interrupted at half and resumed: every submission graded once, every row there")
        if most > 1:
            ceilings += machine_ceiling(most)
            print(json.dumps({"machine_ceiling": ceilings}), flush=True)
            print(f"this machine ran {most} CPU-bound processes {min(ceilings):.2f}-{max(ceilings):.2f}x faster "
                  f"than one (before and after the runs): the most {most} workers can gain here")
        _summary(figures)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _summary(figures: list[dict]) -> None:
    by = {(f["n"], f["workers"]): f for f in figures}
    for (n, w), f in sorted(by.items()):
        line = (f"N={n:5d} workers={w}: {f['wall_s']:8.1f} s, {f['per_submission_s']:.2f} s/submission, "
                f"overhead {f['overhead_per_submission_s']:.2f} s/submission, report {f['report_mb']} MB")
        one = by.get((n, 1))
        if one and w > 1:
            line += f", {one['wall_s'] / f['wall_s']:.2f}x over 1 worker"
        print(line)
    ns = sorted({n for n, _ in by})
    if len(ns) == 2:
        w = max(wk for n, wk in by if n == ns[0])
        small, large = by[(ns[0], w)], by[(ns[1], w)]
        print(f"per submission at N={ns[0]} and N={ns[1]}: wall {small['per_submission_s']:.3f} and "
              f"{large['per_submission_s']:.3f} s")
        for key in ("gradebook_s", "feedback_s", "autograded_notebooks_s", "similarity_s", "report_s"):
            a, b = small[key] / small["n"], large[key] / large["n"]
            print(f"per submission at N={ns[0]} and N={ns[1]}: {key} {a:.4f} and {b:.4f} s")


if __name__ == "__main__":
    sys.exit(main())
