"""Benchmark: grading a class of the Adam chapter with plain nbgrader and with our command.

    .venv/bin/python bench/grade_bench.py --n 8            # nbgrader, then ours at 1 and 2 workers
    .venv/bin/python bench/grade_bench.py --n 8 --workers 1 2 4 --no-nbgrader

It builds N submissions (a cycle of full marks, partial — MyAdam done, MyNAdam left blank — and
the blank student version), then times, from a fresh course each time:

- plain nbgrader as it is normally used: a course folder with an `nbgrader_config.py`,
  `nbgrader generate_assignment adam` (creates the gradebook; not timed), then
  `nbgrader autograde adam` (timed: one kernel per notebook, student code and tests together);
- `python -m autograder grade adam --course C --workers W` for each W (timed from the command's
  start to its exit: start-up, gradebook creation, grading, grades.csv, feedback, the class report).

It prints the wall time, the time per submission and the ratios, and checks that the scores agree
(nbgrader's gradebook against our grades.csv). Speed is measured here, never in the test suite.
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.authoring.variants import answered_notebook, solution_answers

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
ASSIGNMENT = "adam"
KINDS = ["full", "partial", "blank"]
SOURCE = REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"  # replaced by a snapshot in main()

NBGRADER_CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "bench"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
c.OverwriteCells.add_missing_cells = True
"""


def submission(kind: str) -> dict:
    """The student notebook with the solution's answers filled in: all (full), MyAdam only (partial), none."""
    nb = json.loads((REPO / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    answers = solution_answers(json.loads(SOURCE.read_text()), ("code", "markdown"))
    keep = {"full": set(answers), "partial": {"adam-impl"}, "blank": set()}[kind]
    return answered_notebook(nb, {k: v for k, v in answers.items() if k in keep})


def build_class(n: int) -> dict[str, tuple[str, dict]]:
    """student id -> (kind, notebook)"""
    made = {kind: submission(kind) for kind in KINDS}
    return {f"s{i:03d}-{KINDS[i % 3]}": (KINDS[i % 3], made[KINDS[i % 3]]) for i in range(n)}


def submit(course: Path, students: dict[str, tuple[str, dict]]) -> None:
    for student, (_, nb) in students.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(nb, indent=1))


def _timed(cmd: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command: (completed, wall seconds from start to exit)."""
    start = time.monotonic()
    run = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    return run, time.monotonic() - start


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"  # alembic, jupyter, the venv's kernel
    return env


def run_nbgrader(root: Path, students: dict) -> tuple[float, dict[str, float]]:
    course = root / "nbgrader"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(SOURCE, course / "source" / ASSIGNMENT)
    (course / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(root=str(course)))
    nbgrader = [str(PYTHON.parent / "nbgrader")]
    subprocess.run(nbgrader + ["generate_assignment", ASSIGNMENT, "--force"], cwd=course, env=_env(), check=True,
                   capture_output=True)
    submit(course, students)
    run, wall = _timed(nbgrader + ["autograde", ASSIGNMENT], cwd=course, env=_env())
    if run.returncode != 0:
        print(f"nbgrader autograde exited {run.returncode}:\n{run.stderr[-2000:]}", file=sys.stderr)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment(ASSIGNMENT).submissions}
    return wall, scores


def run_ours(root: Path, students: dict, workers: int, report: bool) -> tuple[float, dict[str, float]]:
    course = root / f"ours-{workers}"
    (course / "solutions" / ASSIGNMENT).mkdir(parents=True)  # the course's own source, as nbgrader's
    shutil.copy(SOURCE, course / "solutions" / ASSIGNMENT)
    submit(course, students)
    cmd = [str(PYTHON), "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course), "--workers", str(workers)]
    if not report:
        cmd.append("--no-report")
    run, wall = _timed(cmd, cwd=REPO, env=_env())
    if run.returncode != 0:
        raise SystemExit(f"our grader exited {run.returncode}:\n{run.stderr[-3000:]}")
    rows = list(csv.DictReader(open(course / "grades.csv")))
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        print(f"warning: {len(bad)} submission(s) not ok: {bad[0]['student_id']}: {bad[0]['status']}", file=sys.stderr)
    return wall, {r["student_id"]: float(r["score"]) for r in rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8, help="submissions (default 8)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="our worker counts (default: 1 2)")
    parser.add_argument("--repeat", type=int, default=1, help="run each command this many times, keep the fastest")
    parser.add_argument("--no-nbgrader", dest="nbgrader", action="store_false", help="skip plain nbgrader")
    parser.add_argument("--no-report", dest="report", action="store_false", help="ours without the class report")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()

    global SOURCE
    root = args.keep or Path(tempfile.mkdtemp(prefix="grade-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    SOURCE = root / f"{ASSIGNMENT}.ipynb"  # one snapshot of the source for every run
    shutil.copy(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", SOURCE)
    students = build_class(args.n)
    counts = ", ".join(f"{sum(kind == k for kind, _ in students.values())} {k}" for k in KINDS)
    print(f"{args.n} submissions ({counts}), {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"work in {root}", flush=True)
    commands = (["nbgrader autograde"] if args.nbgrader else []) + [f"ours --workers {w}" for w in args.workers]
    best: dict[str, float] = {}
    scores: dict[str, dict[str, float]] = {}
    try:
        for attempt in range(args.repeat):
            for label in commands:
                work = root / f"run{attempt}-{label.split()[-1]}"
                if label == "nbgrader autograde":
                    wall, got = run_nbgrader(work, students)
                else:
                    wall, got = run_ours(work, students, int(label.split()[-1]), args.report)
                scores[label] = got
                print(f"  {label}: {wall:.1f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
                best[label] = min(wall, best.get(label, wall))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\n{'fastest of ' + str(args.repeat) if args.repeat > 1 else 'wall time'}; other work on the machine "
          "slows every figure (Linux shares the CPU between sessions, whatever their nice level)")
    print(f"{'command':<22}{'wall s':>8}{'s/submission':>14}{'vs nbgrader':>13}{'vs 1 worker':>13}")
    base = best.get("nbgrader autograde", 0.0)
    one = best.get("ours --workers 1", 0.0)
    for label, wall in best.items():
        vs_nb = f"{base / wall:.2f}x" if base and label != "nbgrader autograde" else ""
        vs_one = f"{one / wall:.2f}x" if one and label.startswith("ours") else ""
        print(f"{label:<22}{wall:>8.1f}{wall / args.n:>14.2f}{vs_nb:>13}{vs_one:>13}")
    reference_label = next(iter(scores), None)
    reference = scores.get(reference_label, {}) if reference_label else {}
    agree = True
    for label, got in scores.items():
        differ = sorted(s for s in students if got.get(s) != reference.get(s))
        if differ:
            agree = False
            print(f"scores differ between {reference_label} and {label}: "
                  + ", ".join(f"{s} {reference.get(s)} vs {got.get(s)}" for s in differ[:5]))
    if reference and agree:
        seen = {}
        for student, (kind, _) in students.items():
            seen.setdefault(kind, reference.get(student))
        print("scores agree; " + ", ".join(f"{kind}: {score:g}" for kind, score in seen.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
