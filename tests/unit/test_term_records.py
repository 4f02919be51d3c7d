"""What the class-level process writes for nbgrader's tools, on in-memory results: grades.csv kept
across assignments, the autograded notebook, the submission's timestamp, and the gradebook's rules
for hand grades and late penalties."""

import csv
import json
from datetime import datetime, timedelta, timezone

import pytest

from autograder import cells
from autograder.classroom import gradebook
from autograder.classroom.autograded import autograded_notebook, release_for, student_version
from autograder.classroom.grades_csv import read_rows, write_csv
from autograder.classroom.submitted_files import copy_submission_files, submission_timestamp
from autograder.paths import THIS_REPO
from autograder.results import FIELD_LIMIT, SubmissionResult, TestResult
from autograder.submission.program import build_program


def _result(student: str, assignment: str = "adam", score: float = 1.0, **kw) -> SubmissionResult:
    return SubmissionResult(student, assignment, score, 40.0, **kw)


def test_grades_csv_keeps_the_other_assignments_rows(tmp_path):
    path = tmp_path / "grades.csv"
    write_csv(path, [_result("ann"), _result("bob")])
    write_csv(path, [_result("ann", "momentum", 7)])
    write_csv(path, [_result("bob", "adam", 3)])  # a later run of adam, with only bob
    rows = [(r["assignment"], r["student_id"], r["score"]) for r in read_rows(path)]
    assert rows == [("adam", "bob", "3"), ("momentum", "ann", "7")]


def test_grades_csv_caps_what_students_control(tmp_path):
    path = tmp_path / "grades.csv"
    write_csv(path, [_result("ann", status="x" * 200_000, notes=["n" * 5000], flags=["f" * 1000])])
    with open(path, newline="") as f:  # Python's default csv reader (field limit 131072) reads it
        row = next(csv.DictReader(f))
    assert all(len(row[k]) <= FIELD_LIMIT for k in ("status", "notes", "flags"))
    assert "more characters in result.json" in row["status"]


def _adam():
    source = json.loads(THIS_REPO.source_notebook("adam").read_text())
    return source, release_for(THIS_REPO.source_notebook("adam"))


def _hidden_lines(source: dict) -> set[str]:
    """Lines only the hidden tests hold (not also in the visible tests students have)."""
    given = "\n".join(cells.source(c) for c in json.loads(THIS_REPO.release_notebook("adam").read_text())["cells"])
    out = set()
    for cell in source["cells"]:
        text = cells.source(cell)
        if "### BEGIN HIDDEN TESTS" in text:
            hidden = text.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            out |= {line.strip() for line in hidden.splitlines() if len(line.strip()) > 30}
    assert len(out - {line for line in out if line in given}) > 20
    return {line for line in out if line not in given}


def test_the_autograded_notebook_holds_answers_and_results(tmp_path):
    source, release = _adam()
    assert release is not None
    submission = json.loads(json.dumps(release))
    for cell in submission["cells"]:
        if cells.grade_id(cell) == "adam-impl":
            cell["source"] = "class MyAdam: pass  # mine"
        if cells.grade_id(cell) == "compare-answer":
            cell["source"] = "NAdam, because of its look-ahead."
    program = build_program(source, submission)
    result = _result("ann", tests=[TestResult("adam-update", 0, 5, False, "MyAdam: step 2 differs", True, "printed\n"),
                                   TestResult("adam-eps", 3, 3, True)],
                      cell_errors={"adam-impl": "TypeError: MyAdam() takes no arguments"}, status="ok")
    nb = autograded_notebook(release, program, result)
    by_id = {cells.grade_id(c): c for c in nb["cells"] if cells.grade_id(c)}
    assert cells.source(by_id["adam-impl"]) == "class MyAdam: pass  # mine"
    assert by_id["adam-impl"]["outputs"][0]["evalue"].startswith("TypeError")
    assert cells.source(by_id["compare-answer"]) == "NAdam, because of its look-ahead."
    outputs = by_id["adam-update"]["outputs"]
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "printed\n"}
    assert outputs[1]["ename"] == "Failed" and "step 2 differs" in outputs[1]["evalue"]
    assert by_id["adam-eps"]["outputs"] == []
    text = "\n".join(cells.source(c) for c in nb["cells"])
    assert not [line for line in _hidden_lines(source) if line in text]
    assert "class MyAdam: pass  # mine" not in json.dumps(release)  # the shared release was not changed


def test_an_unreadable_submission_gets_the_notebook_as_given_with_its_status():
    source, release = _adam()
    nb = autograded_notebook(release, None, _result("eve", status="invalid notebook JSON (line 1: ...)"))
    assert nb["cells"][0]["source"] == "**Autograder:** invalid notebook JSON (line 1: ...)"
    assert [cells.grade_id(c) for c in nb["cells"][1:]] == [cells.grade_id(c) for c in release["cells"]]


def test_without_a_release_notebook_nothing_secret_is_shown():
    source, _ = _adam()
    nb = student_version(source)
    text = "\n".join(cells.source(c) for c in nb["cells"])
    assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
    assert not [line for line in _hidden_lines(source) if line in text]
    model = next(cells.source(c) for c in source["cells"] if cells.grade_id(c) == "compare-answer")
    assert model.splitlines()[0] not in text


@pytest.mark.parametrize("text, when, problem", [
    ("2026-12-10 12:00:00.000000 UTC", datetime(2026, 12, 10, 12), None),
    ("2026-12-10T13:00:00+01:00", datetime(2026, 12, 10, 12), None),
    ("", None, "timestamp.txt is empty"),
    ("yesterday-ish", None, "timestamp.txt is no date"),
    ("2026" * 100, None, "timestamp.txt is no date"),
])
def test_the_submission_time(tmp_path, text, when, problem):
    (tmp_path / "timestamp.txt").write_text(text)
    got, note = submission_timestamp(tmp_path)
    assert got == when and (note or "").startswith(problem or "")
    assert (note is None) == (problem is None)


def test_no_timestamp_is_on_time_and_the_exchange_files_are_copied(tmp_path):
    assert submission_timestamp(tmp_path) == (None, None)
    (tmp_path / "timestamp.txt").write_text("2026-12-10 12:00:00 UTC")
    (tmp_path / "submission_secret.txt").write_text("s3cret")
    copy_submission_files(tmp_path, tmp_path / "a", tmp_path / "b")
    for target in ("a", "b"):
        assert sorted(p.name for p in (tmp_path / target).iterdir()) == ["submission_secret.txt", "timestamp.txt"]


@pytest.fixture
def book(tmp_path):
    """A gradebook with adam and a due date, and a course configured to zero late work."""
    (tmp_path / "nbgrader_config.py").write_text('c = get_config()\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    gradebook.ensure_assignment(db, "adam", THIS_REPO.source_notebook("adam"))
    with gradebook.open_gradebook(db) as gb:
        gb.update_or_create_assignment("adam", duedate=datetime(2026, 12, 5))
    return db, gradebook.late_penalties(tmp_path)


def _record(db: str, result: SubmissionResult, notebook: str, *rest) -> None:
    """One write, as `grade` makes it, with a gradebook opened for it (grade keeps one open per run)."""
    with gradebook.Recorder(db) as recorder:
        recorder.record(result, notebook, *rest)


def _full(answer: str) -> SubmissionResult:
    tests = [TestResult("adam-update", 5, 5, True)]
    return _result("ann", score=5, tests=tests, manual_answers={"compare-answer": answer})


def test_a_hand_grade_stays_while_the_answer_is_the_same(book):
    db, late = book
    _record(db, _full("NAdam."), "adam", None, None, late)
    with gradebook.open_gradebook(db) as gb:
        grade = gb.find_grade("compare-answer", "adam", "adam", "ann")
        assert grade.needs_manual_grade
        grade.manual_score, grade.needs_manual_grade = 3.0, False
        gb.db.commit()
    _record(db, _full("NAdam."), "adam", None, {"compare-answer": "NAdam."}, late)  # a regrade
    with gradebook.open_gradebook(db) as gb:
        grade = gb.find_grade("compare-answer", "adam", "adam", "ann")
        assert grade.manual_score == 3.0 and not grade.needs_manual_grade
    _record(db, _full("NAdam, rewritten."), "adam", None, {"compare-answer": "NAdam."}, late)  # resubmitted
    with gradebook.open_gradebook(db) as gb:
        assert gb.find_grade("compare-answer", "adam", "adam", "ann").needs_manual_grade


def test_late_work_gets_the_courses_penalty(book):
    db, late = book
    due = datetime(2026, 12, 5)
    _record(db, _full(""), "adam", due + timedelta(hours=2), None, late)
    with gradebook.open_gradebook(db) as gb:
        submission = gb.find_submission("adam", "ann")
        assert submission.timestamp == due + timedelta(hours=2)
        assert submission.late_submission_penalty == 5.0 and submission.score == 5.0
    _record(db, _full(""), "adam", datetime(2026, 12, 4, tzinfo=timezone.utc).replace(tzinfo=None), None,
                     late)
    with gradebook.open_gradebook(db) as gb:
        assert gb.find_submission("adam", "ann").late_submission_penalty == 0.0


def test_a_hand_grade_given_later_enters_the_late_penalty_on_the_next_record(book):
    db, late = book
    written = _full("NAdam, because of its look-ahead.")
    when = datetime(2026, 12, 5) + timedelta(days=1)
    _record(db, written, "adam", when, None, late)
    with gradebook.open_gradebook(db) as gb:
        assert gb.find_submission("adam", "ann").late_submission_penalty == 5.0  # the tests' 5 points
        gb.find_grade("compare-answer", "adam", "adam", "ann").manual_score = 3.0
        gb.db.commit()
    _record(db, written, "adam", when, written.manual_answers, late)  # grade runs again
    with gradebook.open_gradebook(db) as gb:
        submission = gb.find_submission("adam", "ann")
        assert submission.score == 8.0 and submission.late_submission_penalty == 8.0
