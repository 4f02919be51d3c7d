"""End to end through `python -m autograder grade`, one class per assignment.

The class: the solution (full marks), the blank student version (0), every submission variant of
tests/submissions/<assignment>/ (correct styles: full marks; wrong ones: in between, failing exactly
the tests they name), and a malformed notebook (reported in `status`, the others still graded).
"""

import csv
import json
import subprocess
import sys

import pytest
from conftest import REPO

from autograder.authoring.build import assignments
from autograder.authoring.variants import variant_notebook, variants
from autograder.paths import THIS_REPO, Course, notebook_name

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


ASSIGNMENTS = assignments(REPO)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_grade_a_class(tmp_path, name):
    course = tmp_path / "course"
    expected = {}

    def submit(student: str, notebook: str | bytes, filename: str = notebook_name(name)) -> None:
        folder = Course(course).submission(student, name)
        folder.mkdir(parents=True)
        data = notebook if isinstance(notebook, bytes) else notebook.encode()
        (folder / filename).write_bytes(data)

    submit("solution", THIS_REPO.source_notebook(name).read_text())
    expected["solution"] = ("full", [], [])
    submit("blank", THIS_REPO.release_notebook(name).read_text())
    expected["blank"] = ("zero", None, [])
    submit("broken", b'{"cells": [ this is not json')
    found = variants(name)
    for v in found:
        student = "variant-" + v.path.stem
        submit(student, json.dumps(variant_notebook(name, v)))
        expected[student] = (v.expect, v.fails or None, v.flags)
    causes = {"variant-" + v.path.stem: v.cause for v in found if v.cause}

    run = subprocess.run([sys.executable, "-m", "autograder", "grade", name, "--course", str(course),
                          "--workers", "2", "--no-report", "--no-similarity"],  # variants: mutants of one solution
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {r["student_id"]: r for r in csv.DictReader(open(Course(course).grades_csv))}
    assert set(rows) == set(expected) | {"broken"}
    assert rows["broken"]["score"] == "0" and "invalid notebook JSON" in rows["broken"]["status"]

    problems = []
    for student, (expect, fails, flags) in expected.items():
        row = rows[student]
        score, top = float(row["score"]), float(row["max_score"])
        result = json.loads(Course(course).result(student, name).read_text())
        failed = sorted(t["grade_id"] for t in result["tests"] if not t["passed"])
        ok = {"full": score == top, "zero": score == 0, "partial": 0 < score < top}[expect]
        if fails is not None and failed != sorted(fails):
            ok = False
        if sorted(row["flags"].split()) != sorted(flags):
            ok = False
        if row["status"] != "ok":
            ok = False
        # through the sandbox too, some failing test names the known cause (tests/submissions/README.md)
        if student in causes and not any(causes[student] in t["message"] for t in result["tests"] if not t["passed"]):
            ok = False
        if not ok:
            messages = [t["message"][:200] for t in result["tests"] if not t["passed"]][:3]
            problems.append(f"{student}: {score:g}/{top:g}, expected {expect} failing {fails}, flags {flags}; "
                            f"failed {failed}, flags {row['flags']!r}, status {row['status']!r}; {messages}")
    assert not problems, "\n".join(problems)
    wrong = [v for v in found if v.expect == "partial"]
    assert len(wrong) >= 3, f"{name}: at least three deliberately wrong implementations are needed"
