"""The instructor's commands: `grade` (a class) and `check` (an assignment's own tests)."""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from ..classroom.cluster import JOBQUEUE_CLASSES
from ..classroom.feedback import DEFAULT_FEEDBACK, FEEDBACK_MODES
from ..paths import THIS_REPO
from ..sandbox.limits import Limits


def add_commands(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("grade", help="grade every submitted/<student>/ASSIGNMENT/ of a course")
    p.add_argument("assignment")
    p.add_argument("--course", type=Path, default=Path("."), help="the nbgrader course directory (default: .)")
    p.add_argument("--workers", type=int, default=None,
                   help="parallel submissions on this machine (default: one per core, or one per GPU where "
                        "there are GPUs; each worker is pinned to one GPU, round-robin)")
    p.add_argument("--scheduler", help="grade on a Dask cluster: tcp://host:port of its scheduler (the "
                   "submissions travel with the tasks; start workers with --nthreads 1, GPU workers with "
                   "--resources GPU=1)")
    p.add_argument("--jobqueue", choices=list(JOBQUEUE_CLASSES),
                   help="start a Dask cluster on this batch system (dask-jobqueue) for this run and grade on it; "
                        "the jobs end with the run")
    p.add_argument("--jobs", type=int, default=1, help="--jobqueue: how many jobs (default 1)")
    p.add_argument("--job-cores", type=int, default=8,
                   help="--jobqueue: cores per job, one single-threaded worker each (default 8)")
    p.add_argument("--job-memory", help="--jobqueue: memory per job (default: cores x (--memory-mb + 1 GB))")
    p.add_argument("--job-option", action="append", default=[], metavar="KEY=VALUE",
                   help="--jobqueue: passed to the dask-jobqueue cluster, e.g. queue=short, walltime=01:00:00, "
                        "account=abc, 'job_extra_directives=[\"--gres=gpu:1\"]' (JSON values are parsed)")
    p.add_argument("--db-url", help="nbgrader gradebook URL (default: sqlite:///COURSE/gradebook.db)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--force", action="store_true", help="grade again even unchanged submissions")
    p.add_argument("--timeout", type=float, default=Limits.total_timeout, help="seconds per submission")
    p.add_argument("--cell-timeout", type=float, default=Limits.cell_timeout, help="seconds per cell or test")
    p.add_argument("--memory-mb", type=int, default=Limits.memory_mb, help="memory per submission")
    p.add_argument("--isolation", choices=["auto", "on", "off"], default="auto",
                   help="sandbox namespaces: auto uses them where the kernel allows")
    p.add_argument("--similarity", action=argparse.BooleanOptionalAction, default=True,
                   help="compare each graded class with torch's source and with the other submissions, and flag "
                        "what is mostly the same code for a person (reports/ASSIGNMENT/similarity.json)")
    p.add_argument("--feedback", choices=FEEDBACK_MODES, default=DEFAULT_FEEDBACK,
                   help="each student's feedback.html: full lists every failed test, hidden ones too, by its title "
                        "with its message (never the test's source); counts shows the hidden tests only as counts "
                        f"(default: {DEFAULT_FEEDBACK})")
    p.add_argument("--report", action=argparse.BooleanOptionalAction, default=True,
                   help="write the class report (reports/ASSIGNMENT/report.html)")
    p.set_defaults(run=_grade)
    p = sub.add_parser("check", help="grade the solution, the blank student version and the test variants")
    p.add_argument("assignment")
    p.set_defaults(run=_check)


def _grade(args: argparse.Namespace) -> int:
    from ..classroom.job import ClassJob, find_source
    from ..classroom.local import stop_fork_server
    from ..classroom.run import grade_class

    course = args.course.resolve()
    limits = Limits(cell_timeout=args.cell_timeout, probe_timeout=args.cell_timeout, total_timeout=args.timeout,
                    memory_mb=args.memory_mb)
    source = find_source(course, args.assignment)
    cluster, scheduler = None, args.scheduler
    if args.jobqueue:
        from ..classroom.cluster import parse_job_options, start_jobqueue

        if scheduler:
            raise SystemExit("give --scheduler or --jobqueue, not both")
        memory = args.job_memory or f"{args.job_cores * (args.memory_mb + 1024)}MB"
        try:
            options = parse_job_options(args.job_option)
        except ValueError as error:
            raise SystemExit(str(error))
        cluster = start_jobqueue(args.jobqueue, args.jobs, args.job_cores, memory, options,
                                 progress=lambda line: print(line, file=sys.stderr, flush=True))
        scheduler = cluster.scheduler_address
    job = ClassJob(course, args.assignment, source, limits, args.isolation, args.workers, scheduler, args.db_url,
                   args.force, args.student, similarity=args.similarity, feedback=args.feedback)
    try:
        results = grade_class(job)
    finally:
        stop_fork_server()
        if cluster is not None:
            cluster.close()
    print(f"{args.assignment}: {len(results)} student(s) in {course / 'grades.csv'}")
    if args.report and results:
        from ..classroom.report import write_report

        print(f"class report: {write_report(course, args.assignment, results, job.source)}")
    _exit_now_if_main(0)
    return 0


def _exit_now_if_main(code: int) -> None:
    """End `python -m autograder grade` without the interpreter's teardown of ~2000 modules (torch,
    nbgrader: about a second): everything is written and closed by now. Called in-process (tests,
    notebooks), it returns."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "autograder.__main__":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _check(args: argparse.Namespace) -> int:
    """Grade known submissions of one assignment and say whether each got what it should."""
    from ..authoring.variants import Variant, variant_notebook, variants
    from ..grading.submission import grade_submission

    started = time.monotonic()
    name = args.assignment
    source = THIS_REPO.source_notebook(name)
    cases = [("solution", "full", json.loads(source.read_text()), Variant(source, "full", {})),
             ("student version", "zero", json.loads(THIS_REPO.release_notebook(name).read_text()),
              Variant(source, "zero", {}))]
    cases += [(v.path.name, v.expect, variant_notebook(name, v), v) for v in variants(name)]
    outcomes: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, expect, nb, variant in cases:
            folder = Path(tmp) / label
            folder.mkdir()
            (folder / source.name).write_text(json.dumps(nb))
            r = grade_submission(source, folder, label, name)
            failed = [t.grade_id for t in r.tests if not t.passed]
            ok = {"full": r.score == r.max_score, "zero": r.score == 0,
                  "partial": 0 < r.score < r.max_score}[expect]
            if variant.fails and sorted(failed) != sorted(variant.fails):
                ok = False
            if sorted(r.flags) != sorted(variant.flags) and expect != "zero":
                ok = False
            outcomes.append((label, ok))
            print(f"{'ok ' if ok else 'BAD'} {label}: {r.score:g}/{r.max_score:g} expected {expect}; "
                  f"failed {failed or '-'}; flags {r.flags or '-'}; {r.status}; {r.seconds:.1f} s")
            for t in r.tests:
                if not t.passed:
                    print(f"      {t.grade_id}: {t.message[:300]}")
    print(check_summary(name, outcomes, time.monotonic() - started))
    return 0 if all(ok for _, ok in outcomes) else 1


def check_summary(assignment: str, outcomes: list[tuple[str, bool]], seconds: float) -> str:
    """The last lines of `check`: how many known submissions behaved as expected, which did not, the time
    (after a screenful of per-submission lines, the verdict must not need scrolling back)."""
    bad = [label for label, ok in outcomes if not ok]
    line = (f"{assignment}: {len(outcomes) - len(bad)} of {len(outcomes)} known submissions as expected "
            f"in {seconds:.1f} s")
    return f"{line}\nnot as expected: {', '.join(bad)}" if bad else line
