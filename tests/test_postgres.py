"""The gradebook on PostgreSQL (`--db-url`): a real server from Debian's packages, started here on
loopback as an unprivileged user (initdb refuses root), graded into by one command and by two at
once on disjoint `--student` sets, read back through nbgrader's own Gradebook API."""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest
from conftest import require
from scale_fixtures import (  # noqa: F401  (graded_class is a fixture)
    ASSIGNMENT,
    CLASS,
    copy_submissions,
    csv_rows,
    free_port,
    grade,
    graded_class,
    make_course,
    without_timing,
)

from autograder.classroom.gradebook import open_gradebook

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))


def _as_user(user: str | None) -> list[str]:
    """Prefix that runs a command as `user` (root only: initdb and postgres refuse to run as root)."""
    if user is None:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--"]
    entry = pwd.getpwnam(user)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"]


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on 127.0.0.1 (free port, temporary data folder, trust auth for user
    `grader`); yields a function that creates a database and returns its SQLAlchemy URL."""
    require(bool(BINARIES), "PostgreSQL (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)")
    bindir = os.path.dirname(BINARIES[-1])
    user = None
    if os.geteuid() == 0:
        user = "postgres" if _exists("postgres") else "nobody"
    data = tempfile.mkdtemp(prefix="autograder-pg-")
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    port = free_port()
    run = _as_user(user)

    def pg(*cmd: str) -> None:
        done = subprocess.run(run + [os.path.join(bindir, cmd[0]), *cmd[1:]], capture_output=True, text=True,
                              timeout=120, cwd=data)
        assert done.returncode == 0, f"{cmd[0]} failed: {done.stdout[-2000:]}{done.stderr[-2000:]}"

    pg("initdb", "-D", f"{data}/db", "-U", "grader", "-A", "trust", "-E", "UTF8", "--no-sync")
    pg("pg_ctl", "-D", f"{data}/db", "-l", f"{data}/server.log", "-w", "-t", "60", "-o",
       f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        import psycopg2

        def create(name: str) -> str:
            conn = psycopg2.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
            conn.close()
            return f"postgresql://grader@127.0.0.1:{port}/{name}"

        yield create
    finally:
        pg("pg_ctl", "-D", f"{data}/db", "-m", "immediate", "-w", "stop")
        shutil.rmtree(data, ignore_errors=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def _gradebook_matches(db_url: str, rows: dict[str, dict]) -> None:
    """nbgrader's Gradebook holds every student with the CSV's score, grade by grade."""
    with open_gradebook(db_url) as gb:
        submissions = {s.student.id: s for s in gb.find_assignment(ASSIGNMENT).submissions}
        assert set(submissions) == set(rows)
        for student, row in rows.items():
            assert submissions[student].score == float(row["score"]), student
            assert submissions[student].max_score == float(row["max_score"]) + float(row["manual_max"])
        full = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ann-full")
        auto = [g for g in full.grades if g.cell.cell_type == "code"]
        assert auto and all(g.auto_score == g.max_score for g in auto)
        manual = [g for g in full.grades if g.cell.cell_type == "markdown"]
        assert manual and all(g.needs_manual_grade for g in manual)  # the written answer waits for a person
        blank = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "cat-blank")
        assert all(g.score == 0 and not g.needs_manual_grade for g in blank.grades)


def test_two_graders_at_once_share_one_postgres_gradebook(postgres, tmp_path):
    db_url = postgres("two_graders")  # a new database: both graders race to set it up
    first, second = ["ann-full", "cat-blank", "eve-file"], ["bob-partial", "dan-broken", "fay-link"]
    courses = [make_course(tmp_path / "machine-a"), None]
    courses[1] = copy_submissions(courses[0], tmp_path / "machine-b")  # two machines, one gradebook
    procs = [(course, students, [a for s in students for a in ("--student", s)])
             for course, students in zip(courses, (first, second))]
    running = [subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                                 "--db-url", db_url, "--workers", "1", "--no-report", "--no-similarity", *flags],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for course, _, flags in procs]
    for proc in running:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out[-2000:] + err[-4000:]
    rows = {}
    for course, students, _ in procs:
        mine = csv_rows(course)
        assert set(mine) == set(students)  # each machine's grades.csv: what it graded
        rows.update(mine)
    assert set(rows) == set(CLASS)
    _gradebook_matches(db_url, rows)


def test_kept_grades_reach_a_new_postgres_gradebook(postgres, graded_class, tmp_path):  # noqa: F811
    """A class graded before (SQLite) moves to PostgreSQL: nothing is graded again, every grade arrives."""
    course = copy_submissions(graded_class, tmp_path / "moved")
    shutil.copytree(graded_class / "autograded", course / "autograded")
    db_url = postgres("moved")
    run = grade(course, "--db-url", db_url, "--no-report")
    assert "4 submission(s) unchanged since the last run" in run.stderr, run.stderr  # all but the non-folder
    rows = csv_rows(course)
    assert without_timing(rows) == without_timing(csv_rows(graded_class))
    _gradebook_matches(db_url, rows)
