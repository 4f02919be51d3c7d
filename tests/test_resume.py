"""A grading run can be interrupted (Ctrl-C, or killed outright) and resumed: the second run grades
only what the first did not finish, and the final grades.csv equals an uninterrupted run's. Grading
the same submissions twice gives the same grades.

The course here carries its own, shorter source notebook (the visible tests and two hidden ones),
which keeps these runs quick; what is tested is the bookkeeping, not the Adam tests.
"""

import csv
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from grader_fixtures import REPO, grade_command, grade_course, notebook_with, solution_notebook, submit, variant_answers

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


KEEP = {"adam-update", "adam-state", "nadam-update", "nadam-api"}  # test cells that keep their hidden tests


def _short_source() -> dict:
    """The source notebook with the hidden tests of the other test cells taken out (they then pass)."""
    nb = solution_notebook()
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and cell["cell_type"] == "code" and meta["grade_id"] not in KEEP:
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", "", text, flags=re.S)
    return nb


def _make_class(course: Path) -> list[str]:
    (course / "solutions" / "adam").mkdir(parents=True)
    (course / "solutions" / "adam" / "adam.ipynb").write_text(json.dumps(_short_source()))
    submit(course, "a-solution", notebook_with())
    submit(course, "b-blank", notebook_with(blank=True))
    submit(course, "c-shared-state", notebook_with(answers=variant_answers("wrong_state_by_shape")))
    submit(course, "d-nadam-mu", notebook_with(answers=variant_answers("wrong_nadam_mu_t_for_next")))
    submit(course, "e-global-step", notebook_with(answers=variant_answers("wrong_global_step")))
    submit(course, "f-broken", b"{ not json")
    return sorted(p.name for p in (course / "submitted").iterdir())


def _rows(course: Path) -> dict[str, dict]:
    """grades.csv without the wall time column (the only one that may differ between runs)."""
    with open(course / "grades.csv", newline="") as f:
        return {r["student_id"]: {k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(f)}


def _results(course: Path) -> dict[str, dict]:
    """Each result.json, without the wall times."""
    out = {}
    for path in sorted((course / "autograded").glob("*/adam/result.json")):
        data = json.loads(path.read_text())
        for key in ("seconds", "timings", "peak_memory_mb"):
            data.pop(key, None)
        out[path.parent.parent.name] = data
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run; then the same submissions graded again from scratch (--force)."""
    course = tmp_path_factory.mktemp("resume-ref") / "course"
    students = _make_class(course)
    grade_course(course)
    first_rows, first_results = _rows(course), _results(course)
    again = grade_course(course, "adam", "--force")
    return {"students": students, "rows": first_rows, "results": first_results, "again_rows": _rows(course),
            "again_results": _results(course), "again": again}


def test_grading_twice_gives_the_same_grades(reference):
    assert set(reference["rows"]) == set(reference["students"])
    assert reference["rows"]["a-solution"]["score"] == reference["rows"]["a-solution"]["max_score"] == "40"
    assert reference["rows"]["f-broken"]["status"].startswith("invalid notebook JSON")
    assert "grading 6 submission(s)" in reference["again"].stderr  # --force: nothing kept
    assert reference["again_rows"] == reference["rows"]
    assert reference["again_results"] == reference["results"]  # every test, message and note


def _finished(course: Path) -> set[str]:
    return {p.parent.parent.name for p in (course / "autograded").glob("*/adam/result.json")}


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_interrupted_run_resumes_where_it_stopped(tmp_path, reference, how):
    """Stop `grade` (the whole process group, as Ctrl-C or a killed session does) as soon as one submission
    is done; run it again: it keeps what was finished, grades the rest, and ends with the uninterrupted
    run's grades.csv."""
    course = tmp_path / "course"
    students = _make_class(course)
    log = open(tmp_path / "first.log", "w")
    first = subprocess.Popen(grade_command(course), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    deadline = time.monotonic() + 180
    while not _finished(course) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(first.pid, getattr(signal, how))
    first.wait(timeout=120)
    time.sleep(0.5)  # a worker the signal reached mid-write has stopped by now
    done = _finished(course)
    kept = {s: (course / "autograded" / s / "adam" / "result.json").read_bytes() for s in done}
    assert 1 <= len(done) < len(students), f"interrupted too late to tell: {sorted(done)}"
    if how == "SIGINT":  # Ctrl-C: one line, no traceback, exit 130, and every finished student in grades.csv
        printed = (tmp_path / "first.log").read_text()
        assert first.returncode == 130, printed[-2000:]
        assert "Traceback" not in printed
        assert re.search(rf"^interrupted: {len(done)} of {len(students)} graded in this run; run again to continue$",
                         printed, re.M), printed[-2000:]
        assert set(_rows(course)) == done

    second = grade_course(course)
    left = len(students) - len(done)
    assert f"{len(done)} submission(s) unchanged since the last run" in second.stderr
    assert f"grading {left} submission(s)" in second.stderr
    assert len(re.findall(r"\] \d+/\d+ ", second.stderr)) == left  # one progress line per graded submission
    for student, data in kept.items():  # what was finished is not graded again
        assert (course / "autograded" / student / "adam" / "result.json").read_bytes() == data
    assert _rows(course) == reference["rows"]
    assert _results(course) == reference["results"]
