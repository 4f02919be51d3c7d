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
from ..paths import THIS_REPO, Course
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
                   help="each student's page (feedback/STUDENT/ASSIGNMENT/ASSIGNMENT.html): full lists every failed "
                        "test, hidden ones too, by its title "
                        "with its message (never the test's source); counts shows the hidden tests only as counts "
                        f"(default: {DEFAULT_FEEDBACK})")
    p.add_argument("--report", action=argparse.BooleanOptionalAction, default=True,
                   help="write the class report (reports/ASSIGNMENT/report.html)")
    p.set_defaults(run=_grade)
    p = sub.add_parser("check", help="grade the solution, the blank student version and the test variants")
    p.add_argument("assignment", choices=THIS_REPO.assignments())
    p.set_defaults(run=_check)


def _usage(message: str) -> SystemExit:
    """A mistake on the command line: one line on stderr, exit status 2 (argparse's for usage errors)."""
    print(f"python -m autograder: {message}", file=sys.stderr)
    return SystemExit(2)


def _choices(names: list[str], limit: int = 12) -> str:
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "none"


def known_assignments(course: Path) -> list[str]:
    """The assignments a course can grade: its own sources, or this repository's."""
    return sorted(set(Course(course).assignments()) | set(THIS_REPO.assignments()))


def check_grade_arguments(args: argparse.Namespace) -> Path:
    """The course folder, once the arguments name a course, an assignment and students that exist;
    otherwise one line saying what is wrong and what would be right (nothing is created)."""
    course = args.course.resolve()
    if not course.is_dir():
        raise _usage(f"no course folder {args.course} (give --course DIR: the nbgrader course directory)")
    names = known_assignments(course)
    if args.assignment not in names:
        raise _usage(f"no assignment {args.assignment!r}: choose one of {_choices(names)}")
    layout = Course(course)
    if not layout.submitted.is_dir():
        raise _usage(f"no submitted/ folder in {course}: nbgrader collect (or zip_collect) puts each "
                     f"submission at submitted/<student>/{args.assignment}/{args.assignment}.ipynb")
    from ..classroom.job import submissions

    found = submissions(course, args.assignment)
    if not found:
        raise _usage(f"no submissions of {args.assignment} in {layout.submitted} (expected "
                     f"submitted/<student>/{args.assignment}/{args.assignment}.ipynb)")
    unknown = sorted(set(args.student or []) - set(found))
    if unknown:
        raise _usage(f"no submission of {args.assignment} by {_choices(unknown, 5)}: students with one are "
                     f"{_choices(found)}")
    if args.workers is not None and args.workers < 1:
        raise _usage(f"--workers {args.workers}: give 1 or more")
    if args.jobqueue and args.scheduler:
        raise _usage("give --scheduler or --jobqueue, not both")
    return course


def _grade(args: argparse.Namespace) -> int:
    course = check_grade_arguments(args)
    from ..classroom.job import ClassJob, find_source
    from ..classroom.local import stop_fork_server
    from ..classroom.run import Interrupted, grade_class

    limits = Limits(cell_timeout=args.cell_timeout, probe_timeout=args.cell_timeout, total_timeout=args.timeout,
                    memory_mb=args.memory_mb)
    source = find_source(course, args.assignment)
    cluster, scheduler = None, args.scheduler
    try:
        if args.jobqueue:
            from ..classroom.cluster import parse_job_options, start_jobqueue

            memory = args.job_memory or f"{args.job_cores * (args.memory_mb + 1024)}MB"
            try:
                options = parse_job_options(args.job_option)
            except ValueError as error:
                raise _usage(str(error))
            cluster = start_jobqueue(args.jobqueue, args.jobs, args.job_cores, memory, options,
                                     progress=lambda line: print(line, file=sys.stderr, flush=True))
            scheduler = cluster.scheduler_address
        job = ClassJob(course, args.assignment, source, limits, args.isolation, args.workers, scheduler, args.db_url,
                       args.force, args.student, similarity=args.similarity, feedback=args.feedback)
        results = grade_class(job)
    except (Interrupted, KeyboardInterrupt) as stop:
        # Ctrl-C: one line, not a traceback; everything finished is saved (grades.csv included)
        interrupted = str(stop) or "interrupted before any submission was graded; run again to continue"
    else:
        interrupted = ""
    finally:
        stop_fork_server()
        if cluster is not None:
            cluster.close()
    if interrupted:
        print(interrupted, file=sys.stderr, flush=True)
        _exit_now_if_main(130)
        return 130
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
