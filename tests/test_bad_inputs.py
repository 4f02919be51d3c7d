"""Submissions that are broken, odd or hostile to the machine each get a row in grades.csv whose status
says what happened, and the rest of the class is graded normally.

One class is graded once (`python -m autograder grade adam --workers 2 --memory-mb 1024`, small
time limits); each test reads its student's row: the grade AND the status. The control student
`solution` must keep full marks and an "ok" status in the same batch.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest
from grader_fixtures import (
    failed_tests,
    file_hashes,
    grade_course,
    grades,
    notebook_with,
    result,
    submit,
)

from autograder.sandbox.process import WALL_FACTOR

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


ADAM_TESTS = ["adam-api", "adam-args", "adam-eps", "adam-float32", "adam-grad", "adam-own-work", "adam-state",
              "adam-update", "adam-weight-decay"]
NADAM_TESTS = sorted([t.replace("adam", "nadam", 1) for t in ADAM_TESTS] + ["nadam-schedule"])
CELL_TIMEOUT = 6  # seconds of CPU time per cell and per probe in this batch (the same however busy the machine)
MEMORY_MB = 1024


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("bad-inputs") / "course"
    good = notebook_with()
    submit(course, "solution", good)
    # files that are not notebooks
    submit(course, "invalid-json", b'{"cells": [ {"cell_type": "code", ')
    submit(course, "empty-file", b"")
    submit(course, "binary-file", bytes(range(256)) * 64)
    submit(course, "not-utf8", json.dumps(good).replace("MyAdam passes", "MyAdam pass\u00e9s").encode("latin-1"))
    submit(course, "not-a-notebook", b'{"hello": "world"}')
    # a real nbformat 3 notebook (very old Jupyter) with the answers: graded
    v3 = nbformat.writes(nbformat.convert(nbformat.reads(json.dumps(good), as_version=4), 3))
    assert json.loads(v3)["nbformat"] == 3 and "worksheets" in json.loads(v3)
    submit(course, "nbformat-3", v3)
    # test cells deleted and edited: graded with the source's tests
    nb = notebook_with()
    nb["cells"] = [c for c in nb["cells"] if _gid(c) != "nadam-update"]
    for cell in nb["cells"]:
        if _gid(cell) == "adam-update":
            cell["source"] = "assert True  # all good"
    submit(course, "tests-edited", nb)
    # stray cells with nbgrader metadata: an unknown grade_id; metadata without schema_version
    nb = notebook_with()
    nb["cells"].append({"cell_type": "code", "execution_count": None, "outputs": [], "source": "scratch = 1",
                        "metadata": {"nbgrader": {"grade": False, "grade_id": "my-scratch", "locked": False,
                                                  "schema_version": 3, "solution": True, "task": False}}})
    submit(course, "stray-cell", nb)
    nb = notebook_with()
    nb["cells"].insert(3, {"cell_type": "code", "execution_count": None, "outputs": [], "source": "x = 2",
                           "metadata": {"nbgrader": {"grade": False, "solution": True, "grade_id": "cell-1f2e"}}})
    submit(course, "no-schema-version", nb)
    nb = notebook_with()
    copy = [c for c in nb["cells"] if _gid(c) == "adam-impl"][0]
    nb["cells"].insert(nb["cells"].index(copy) + 1, json.loads(json.dumps(copy)))
    submit(course, "answer-cell-twice", nb)
    # another file name; two notebooks and none with the right name; nothing; a link to the solutions
    submit(course, "renamed", good, filename="adam (1).ipynb")
    submit(course, "two-notebooks", good, filename="a.ipynb")
    submit(course, "two-notebooks", good, filename="b.ipynb")
    (course / "submitted" / "nothing" / "adam").mkdir(parents=True)
    link = course / "submitted" / "linked" / "adam" / "adam.ipynb"
    link.parent.mkdir(parents=True)
    os.symlink(Path(__file__).resolve().parent.parent / "solutions" / "adam" / "adam.ipynb", link)
    # code that never ends, eats memory, floods the output, or takes the process down
    submit(course, "endless-cell", notebook_with(append={"nadam-impl": "while True:\n    pass"}))
    submit(course, "endless-no-sigint", notebook_with(append={"nadam-impl": (
        "import signal\nfor _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
        "    signal.signal(_s, signal.SIG_IGN)\nwhile True:\n    try:\n        pass\n"
        "    except BaseException:\n        pass")}))
    submit(course, "endless-step", notebook_with(append={"adam-impl": (
        "_real_step = MyAdam.step\n\n\ndef _step(self, closure=None):\n    while True:\n        pass\n\n\n"
        "MyAdam.step = _step")}))
    submit(course, "memory-hog", notebook_with(append={"nadam-impl": (
        "_hoard = []\nwhile True:\n    _hoard.append(torch.ones(2**25, dtype=torch.float64))  # 256 MB each")}))
    submit(course, "huge-allocation", notebook_with(append={"nadam-impl": (
        "try:\n    _huge = torch.empty(2**36, dtype=torch.float64)  # 512 GB\nexcept RuntimeError as e:\n"
        "    print('refused:', str(e)[:80])")}))
    submit(course, "output-flood", notebook_with(append={"nadam-impl": (
        "_line = 'x' * 10000\nfor _i in range(10**6):\n    print(_line)")}))
    submit(course, "aborts", notebook_with(append={"nadam-impl": "import os\nos.abort()"}))
    submit(course, "exits", notebook_with(append={"nadam-impl": "import os\nos._exit(7)"}))

    before = file_hashes(course / "submitted")
    run = grade_course(course, "adam", "--cell-timeout", str(CELL_TIMEOUT), "--memory-mb", str(MEMORY_MB))
    return {"course": course, "before": before, "run": run}


def _row(graded, student):
    row = grades(graded["course"])[student]
    return float(row["score"]), row["status"], row


def test_every_submission_has_a_row_and_the_control_is_full(graded):
    rows = grades(graded["course"])
    expected = {p.name for p in (graded["course"] / "submitted").iterdir()}
    assert set(rows) == expected
    assert _row(graded, "solution")[:2] == (40, "ok")


@pytest.mark.parametrize("student,status", [
    ("invalid-json", "invalid notebook JSON (line 1: Expecting property name enclosed in double quotes)"),
    ("empty-file", "empty file"),
    ("binary-file", "not a notebook (binary file)"),
    ("not-utf8", "not a notebook (not UTF-8 text: byte "),
    ("not-a-notebook", "not a notebook (no cells)"),
    ("two-notebooks", "2 notebooks and none named adam.ipynb"),
    ("nothing", "no notebook (expected adam.ipynb)"),
    ("linked", "adam.ipynb is a symbolic link (not graded)"),
])
def test_unreadable_files_get_zero_and_say_why(graded, student, status):
    score, got, row = _row(graded, student)
    assert score == 0 and got.startswith(status), got
    assert row["tests_total"] == "0"


def test_nbformat_3_notebook_is_graded(graded):
    score, status, _ = _row(graded, "nbformat-3")
    assert (score, status) == (40, "nbformat 3 notebook (upgraded to 4 to grade it)")


def test_edited_and_deleted_tests_are_restored(graded):
    score, status, _ = _row(graded, "tests-edited")
    assert score == 40  # every test of the source ran, the deleted and the edited ones included
    assert status == "test cell adam-update edited (restored); test cell nadam-update deleted (restored)"
    assert len(result(graded["course"], "tests-edited")["tests"]) == 19


def test_stray_nbgrader_cells_are_ignored_and_reported(graded):
    assert _row(graded, "stray-cell")[:2] == (40, "unknown nbgrader cells ignored: my-scratch")
    assert _row(graded, "no-schema-version")[:2] == (
        40, "unknown nbgrader cells ignored: cell-1f2e; nbgrader metadata without schema_version in 1 cell(s) "
            "(ignored here; nbgrader would stop)")
    assert _row(graded, "answer-cell-twice")[:2] == (40, "answer cell adam-impl appears 2 times (all run, in order)")


def test_renamed_notebook_is_graded(graded):
    assert _row(graded, "renamed")[:2] == (40, "renamed notebook adam (1).ipynb graded as adam.ipynb")


@pytest.mark.parametrize("student", ["endless-cell", "endless-no-sigint"])
def test_endless_cell_is_stopped_and_the_rest_graded(graded, student):
    """The NAdam cell never ends (one version ignores SIGINT/SIGTERM): it is killed after the cell time
    limit, the process is started again without it; Adam's tests pass, NAdam's fail."""
    score, status, _ = _row(graded, student)
    # its CPU time (else, on a machine so busy that it got under a tenth of a core, its wall time)
    assert score == 20 and status in (f"time limit: cell nadam-impl used more than {CELL_TIMEOUT} s of CPU time",
                                      f"time limit: cell nadam-impl ran over {CELL_TIMEOUT * WALL_FACTOR} s")
    assert failed_tests(graded["course"], student) == NADAM_TESTS


def test_endless_loop_in_step_costs_one_time_limit(graded):
    """step() never returns: the first test that calls it is stopped after the probe time limit; later
    tests of MyAdam.step fail at once; MyNAdam is graded in a fresh process."""
    score, status, row = _row(graded, "endless-step")
    assert score == 20 and status in (
        f"time limit: a test of your code used more than {CELL_TIMEOUT} s of CPU time (MyAdam)",
        f"time limit: a test of your code ran over {CELL_TIMEOUT * WALL_FACTOR} s (MyAdam)")
    assert failed_tests(graded["course"], "endless-step") == ADAM_TESTS
    # one time limit, not one per test: the later tests of MyAdam.step are not run again
    messages = [t["message"] for t in result(graded["course"], "endless-step")["tests"] if not t["passed"]]
    assert sum("time limit" in m and not m.startswith("not run") for m in messages) == 1, messages
    assert any(m.startswith("not run:") for m in messages), messages


def test_memory_hog_is_stopped_at_the_limit(graded):
    score, status, _ = _row(graded, "memory-hog")
    assert (score, status) == (20, f"memory limit ({MEMORY_MB} MB) exceeded in cell nadam-impl")
    assert failed_tests(graded["course"], "memory-hog") == NADAM_TESTS
    assert result(graded["course"], "memory-hog")["peak_memory_mb"] < MEMORY_MB + 1024


def test_huge_allocation_is_refused(graded):
    """One allocation beyond the address-space limit fails in the cell (no kill, nothing else lost)."""
    score, status, _ = _row(graded, "huge-allocation")
    assert (score, status) == (40, "ok")
    assert "refused:" in result(graded["course"], "huge-allocation")["output"]


def test_output_flood_is_cut(graded):
    score, status, _ = _row(graded, "output-flood")
    assert (score, status) == (40, "output limit (20 MB) reached: later output was lost")
    record = result(graded["course"], "output-flood")
    assert record["cell_errors"]["nadam-impl"].startswith("OSError: [Errno 27] File too large")
    assert len(record["output"]) <= 4000


@pytest.mark.parametrize("student,how", [("aborts", "was killed by signal SIGABRT"), ("exits", "exited (code 7)")])
def test_process_that_dies_in_a_cell(graded, student, how):
    score, status, _ = _row(graded, student)
    assert (score, status) == (20, f"the Python process {how} during cell nadam-impl")
    assert failed_tests(graded["course"], student) == NADAM_TESTS


def test_submitted_files_are_never_modified(graded):
    assert file_hashes(graded["course"] / "submitted") == graded["before"]


def test_default_memory_limit_fits_one_worker_per_core():
    """The default per-submission memory (Limits.memory_mb) times the default number of workers (one per
    core) stays within half the machine's memory, and leaves room for Python + torch (~0.4 GB)."""
    from autograder.sandbox.limits import Limits, default_memory_mb, machine_memory_mb

    limit = Limits().memory_mb
    assert limit == default_memory_mb()
    assert 1024 <= limit <= 2048
    if machine_memory_mb() >= 2 * 1024 * (os.cpu_count() or 1):
        assert limit * (os.cpu_count() or 1) <= machine_memory_mb() // 2
