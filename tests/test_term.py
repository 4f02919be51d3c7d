"""A whole term, as an instructor who knows nbgrader runs it: nbgrader's own commands wherever nbgrader
has one, our `grade` command for the grading (book/instructors.md, "A term, step by step").

One course folder for the module: students imported, two assignments generated and released,
submissions through nbgrader's exchange (`submit`, `collect`) and through an LMS download
(`zip_collect`, with a late file, a Colab download renamed "adam (1).ipynb" and a notebook whose
nbgrader metadata an editor dropped), graded, hand-graded in a real formgrader driven over HTTP,
graded again, exported with late penalties, feedback generated, released and fetched.
"""

import csv
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from grader_fixtures import FAST_LIMITS, REPO, notebook_with, solution_notebook, variant_answers

from autograder import cells
from autograder.paths import THIS_REPO

pytestmark = pytest.mark.slow  # nbgrader's commands, a Jupyter server and two graded classes

BIN = Path(sys.executable).parent
STUDENTS = ["ann", "bob", "cat", "dan", "eve"]
WRITTEN = {  # the hand-graded answers each student wrote (cat left hers blank)
    "ann": "NAdam gets closer: its look-ahead step corrects the direction sooner in the curved valley.",
    "bob": "Adam, because it has bias correction.",
    "dan": "Both reach the minimum; the larger lr jumps over the ripples of f1.",
    "eve": "Smaller betas forget faster, so the paths are noisier.",
}
# An LMS download names each file <student>_<when>_<file>: the regexp zip_collect needs for it
# (nbgrader matches it against the file's whole path, hence the leading .*/).
NAMED_REGEXP = r".*/(?P<student_id>[^/_]+)_(?P<timestamp>\d{8}T\d{6})_(?P<file_id>[^/]+)$"


def _written(nb: dict, text: str) -> dict:
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "compare-answer":
            cell["source"] = text
    return nb


def _secret_lines() -> set[str]:
    """Lines students must never see: the hidden tests and the instructors' model answer of adam."""
    secret = set()
    for cell in solution_notebook()["cells"]:
        text = cells.source(cell)
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S):
            secret |= {line.strip() for line in block.splitlines() if len(line.strip()) > 20}
        if cells.grade_id(cell) == "compare-answer":
            secret |= {line.strip() for line in text.splitlines() if len(line.strip()) > 30}
    given = "\n".join(cells.source(c) for c in json.loads(THIS_REPO.release_notebook("adam").read_text())["cells"])
    return {line for line in secret if line not in given}


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S")


class Term:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.course = root / "course"
        self.exchange = root / "exchange"
        self.env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # alembic, jupyter, nbgrader

    def nbgrader(self, *args: str, cwd: Path = None, check: bool = True) -> subprocess.CompletedProcess:
        run = subprocess.run([str(BIN / "nbgrader"), *args], cwd=cwd or self.course, env=self.env,
                             capture_output=True, text=True, timeout=300)
        assert not check or run.returncode == 0, f"nbgrader {' '.join(args)}:\n{run.stdout[-2000:]}{run.stderr[-3000:]}"
        return run

    def grade(self, assignment: str, *extra: str) -> subprocess.CompletedProcess:
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", assignment, "--course", str(self.course),
                              "--workers", "2", *FAST_LIMITS, *extra], cwd=REPO, env=self.env, capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, f"grade {assignment} exited {run.returncode}:\n{run.stderr[-4000:]}"
        return run

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(f"sqlite:///{self.course / 'gradebook.db'}")


class Formgrader:
    """A real Jupyter server with nbgrader's formgrader, on loopback, in the course folder."""

    def __init__(self, term: Term) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = "term-test"
        self.log = open(term.root / "jupyter.log", "w")
        self.process = subprocess.Popen(
            [str(BIN / "jupyter"), "server", "--no-browser", "--allow-root", f"--port={self.port}",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={term.course}"],
            cwd=term.course, env=term.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.get("/formgrader/api/status")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"formgrader did not start: {(term.root / 'jupyter.log').read_text()[-3000:]}")
                time.sleep(0.3)

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str):
        status, body = self.request("GET", path)
        if status != 200:
            raise OSError(f"GET {path}: HTTP {status}")
        return json.loads(body) if path.startswith("/formgrader/api") else body.decode()

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """Everything up to hand grading: set up, release, collect, grade."""
    t = Term(tmp_path_factory.mktemp("term"))
    course = t.course
    for assignment in ("adam", "symmetry"):
        (course / "solutions" / assignment).mkdir(parents=True)
        shutil.copy(THIS_REPO.source_notebook(assignment), course / "solutions" / assignment)
    (course / "nbgrader_config.py").write_text(
        (REPO / "nbgrader_config.py").read_text()
        + f"c.Exchange.root = {str(t.exchange)!r}\n"
        + 'c.LateSubmissionPlugin.penalty_method = "zero"\n'
        + 'c.ZipCollectApp.collector_plugin = "nbgrader.plugins.FileNameCollectorPlugin"\n'
        + f"c.FileNameCollectorPlugin.named_regexp = {NAMED_REGEXP!r}\n")
    t.exchange.mkdir()
    os.chmod(t.exchange, 0o777)

    # 1. students and assignments (due tomorrow)
    (t.root / "students.csv").write_text("id,first_name,last_name,email\n"
                                         + "".join(f"{s},{s.title()},Student,{s}@example.org\n" for s in STUDENTS))
    t.nbgrader("db", "student", "import", str(t.root / "students.csv"))
    t.due = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    for assignment in ("adam", "symmetry"):
        t.nbgrader("db", "assignment", "add", assignment, f"--duedate={t.due.strftime('%Y-%m-%d %H:%M:%S')} UTC")
        t.nbgrader("generate_assignment", assignment, "--force")
        t.nbgrader("release_assignment", assignment)

    # 2. submissions through nbgrader's exchange (as each student would, from their own folder)
    exchange_work = {"ann": notebook_with(), "bob": notebook_with(answers=variant_answers("wrong_state_by_shape"))}
    for student, nb in exchange_work.items():
        home = t.root / "students" / student
        (home / "adam").mkdir(parents=True)
        (home / "adam" / "adam.ipynb").write_text(json.dumps(_written(nb, WRITTEN[student])))
        t.nbgrader("submit", "adam", "--course=optim-dl", f"--student={student}", f"--Exchange.root={t.exchange}",
                   cwd=home)
    t.nbgrader("collect", "adam")

    # 3. an LMS download for the others, collected with zip_collect
    stripped = _written(notebook_with(), WRITTEN["eve"])
    for cell in stripped["cells"]:
        cell["metadata"].pop("nbgrader", None)
    downloads = {
        f"cat_{_stamp(t.due + timedelta(days=2))}_adam.ipynb": notebook_with(),  # two days late, no written answer
        f"dan_{_stamp(t.due - timedelta(hours=3))}_adam (1).ipynb": _written(notebook_with(), WRITTEN["dan"]),
        f"eve_{_stamp(t.due - timedelta(hours=1))}_adam.ipynb": stripped,
    }
    archive = course / "downloaded" / "adam" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as z:
        for name, nb in downloads.items():
            z.writestr(name, json.dumps(nb))
    t.nbgrader("zip_collect", "adam")

    # 4. our grade command
    t.first = t.grade("adam")
    return t


def test_collected_submissions_are_where_nbgrader_puts_them(term):
    submitted = term.course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == STUDENTS
    assert (submitted / "dan" / "adam" / "adam (1).ipynb").is_file()  # the Colab download, as collected
    for student in STUDENTS:
        assert (submitted / student / "adam" / "timestamp.txt").is_file()
    for student in ("ann", "bob"):
        assert (submitted / student / "adam" / "submission_secret.txt").is_file()


def test_grades_of_every_kind_of_submission(term):
    rows = {r["student_id"]: r for r in csv.DictReader(open(term.course / "grades.csv"))}
    assert set(rows) == set(STUDENTS)
    assert rows["ann"]["score"] == rows["cat"]["score"] == rows["dan"]["score"] == rows["eve"]["score"] == "40"
    assert 0 < float(rows["bob"]["score"]) < 40
    assert rows["ann"]["status"] == rows["cat"]["status"] == rows["eve"]["status"] == "ok"
    assert rows["dan"]["status"] == "renamed notebook adam (1).ipynb graded as adam.ipynb"
    assert "nbgrader metadata missing" in rows["eve"]["notes"] and rows["eve"]["flags"] == ""
    assert [rows[s]["needs_manual_grade"] for s in STUDENTS] == ["True", "True", "False", "True", "True"]
    assert "grading 5 submission(s) of adam" in term.first.stderr and ": 5 new" in term.first.stderr


def test_autograded_notebooks_hold_answers_and_results_but_no_hidden_test(term):
    secret = _secret_lines()
    assert len(secret) > 20
    for student in STUDENTS:
        folder = term.course / "autograded" / student / "adam"
        nb = json.loads((folder / "adam.ipynb").read_text())
        text = "\n".join(cells.source(c) for c in nb["cells"])
        assert not [line for line in secret if line in text], student
        assert (folder / "timestamp.txt").is_file()
        if student in WRITTEN:
            assert WRITTEN[student] in text
    bob = json.loads((term.course / "autograded" / "bob" / "adam" / "adam.ipynb").read_text())
    failures = [o for c in bob["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert failures and all(o["ename"] == "Failed" and "MyAdam" in o["evalue"] for o in failures)


@pytest.fixture(scope="module")
def hand_graded(term):
    """Formgrader lists the written answers; a score and a comment are saved through its API."""
    server = Formgrader(term)
    try:
        listed = server.get("/formgrader/api/submitted_notebooks/adam/adam")
        pages = {n["student"]: server.request("GET", f"/formgrader/submissions/{n['id']}/") for n in listed}
        ann = next(n for n in listed if n["student"] == "ann")
        grades = server.get(f"/formgrader/api/grades?submission_id={ann['id']}")
        answer = next(g for g in grades if g["name"] == "compare-answer")
        saved = json.loads(server.request("PUT", f"/formgrader/api/grade/{answer['id']}", {"manual_score": 3})[1])
        comments = server.get(f"/formgrader/api/comments?submission_id={ann['id']}")
        comment = next(c for c in comments if c["name"] == "compare-answer")
        server.request("PUT", f"/formgrader/api/comment/{comment['id']}", {"manual_comment": "Right, and why: good."})
    finally:
        server.close()
    return {"listed": listed, "pages": pages, "saved": saved}


def test_formgrader_lists_every_submission_and_shows_each(hand_graded):
    listed = {n["student"]: n for n in hand_graded["listed"]}
    assert set(listed) == set(STUDENTS)
    assert {s for s, n in listed.items() if n["needs_manual_grade"]} == {"ann", "bob", "dan", "eve"}
    for student, (status, body) in hand_graded["pages"].items():
        assert status == 200, (student, body[:500])
        if student in WRITTEN:
            assert html.escape(WRITTEN[student]) in body.decode() or WRITTEN[student] in body.decode()
    assert hand_graded["saved"]["manual_score"] == 3.0


def test_a_hand_grade_survives_a_regrade(term, hand_graded):
    again = term.grade("adam", "--force")
    assert "--force" in again.stderr
    with term.gradebook() as gb:
        ann = gb.find_grade("compare-answer", "adam", "adam", "ann")
        bob = gb.find_grade("compare-answer", "adam", "adam", "bob")
        assert ann.manual_score == 3.0 and not ann.needs_manual_grade
        assert bob.needs_manual_grade
        assert gb.find_submission("adam", "ann").score == 43.0


def test_export_has_the_hand_grade_and_the_late_penalty(term, hand_graded):
    term.nbgrader("export", "--to", str(term.root / "export.csv"))
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(open(term.root / "export.csv"))}
    assert float(rows["adam", "ann"]["score"]) == 43.0
    assert float(rows["adam", "cat"]["late_submission_penalty"]) == float(rows["adam", "cat"]["raw_score"]) == 40.0
    assert float(rows["adam", "cat"]["score"]) == 0.0
    for student in ("ann", "bob", "dan", "eve"):
        assert float(rows["adam", student]["late_submission_penalty"]) == 0.0


def test_feedback_is_generated_released_and_fetched_without_hidden_tests(term, hand_graded):
    term.nbgrader("generate_feedback", "adam", "--force")
    for student in ("ann", "bob"):  # those who submitted through the exchange get it back through it
        term.nbgrader("release_feedback", "adam", f"--student={student}")
        term.nbgrader("fetch_feedback", "adam", "--course=optim-dl", f"--student={student}",
                      f"--Exchange.root={term.exchange}", cwd=term.root / "students" / student)
    fetched = sorted((term.root / "students" / "ann" / "adam" / "feedback").glob("*/adam.html"))
    assert fetched, "ann's feedback did not arrive"
    page = html.unescape(fetched[0].read_text())
    assert "Right, and why: good." in page  # the hand grader's comment
    hidden = _secret_lines()
    assert len(hidden) > 20
    pages = list((term.course / "feedback").glob("*/adam/adam.html")) + fetched
    assert len(pages) == 6
    for path in pages:
        text = html.unescape(path.read_text())
        assert not [line for line in hidden if line in text], path


def test_a_second_assignment_keeps_the_first_ones_rows(term):
    for student in ("ann", "dan"):
        folder = term.course / "submitted" / student / "symmetry"
        folder.mkdir(parents=True)
        (folder / "symmetry.ipynb").write_text(json.dumps(notebook_with("symmetry", blank=student == "dan")))
    term.grade("symmetry")
    rows = list(csv.DictReader(open(term.course / "grades.csv")))
    assert sorted((r["assignment"], r["student_id"]) for r in rows) == \
        [("adam", s) for s in STUDENTS] + [("symmetry", "ann"), ("symmetry", "dan")]
    by = {(r["assignment"], r["student_id"]): r for r in rows}
    assert by["symmetry", "ann"]["score"] == by["symmetry", "ann"]["max_score"]
    assert by["symmetry", "dan"]["score"] == "0"
    assert by["adam", "ann"]["score"] == "40"
