"""`grade --workers N`: the same grades whatever N, a readable progress log, resumable runs,
gradebook and feedback written for every student, one GPU per local worker."""

import re
import shutil

import pytest
from scale_fixtures import (  # noqa: F401  (graded_class is a fixture)
    ASSIGNMENT,
    CLASS,
    LINK_STATUS,
    copy_submissions,
    csv_rows,
    grade,
    graded_class,
    report_env_value,
    results,
    without_timing,
)

from autograder.classroom import gradebook
from autograder.classroom.grades_csv import CSV_COLUMNS
from autograder.classroom.local import LocalBackend, cores, cuda_devices, default_workers

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


def test_one_worker_and_two_workers_grade_alike(graded_class, tmp_path):  # noqa: F811
    one = copy_submissions(graded_class, tmp_path / "one")
    run = grade(one, "--workers", "1", "--no-report")
    assert without_timing(csv_rows(one)) == without_timing(csv_rows(graded_class))
    assert results(one) == results(graded_class)

    rows = csv_rows(graded_class)
    assert list(next(iter(rows.values())))[:5] == ["student_id", "assignment", "score", "max_score", "status"]
    assert list(next(iter(rows.values()))) == CSV_COLUMNS
    assert set(rows) == set(CLASS)
    top = float(rows["ann-full"]["max_score"])
    assert top > 0 and float(rows["ann-full"]["score"]) == top and rows["ann-full"]["status"] == "ok"
    assert 0 < float(rows["bob-partial"]["score"]) < top and rows["bob-partial"]["status"] == "ok"
    assert float(rows["cat-blank"]["score"]) == 0 and rows["cat-blank"]["status"] == "ok"
    assert "invalid notebook JSON" in rows["dan-broken"]["status"]
    assert rows["eve-file"]["status"] == "submission is not a folder"
    assert rows["fay-link"]["status"] == LINK_STATUS and rows["fay-link"]["score"] == "0"

    # progress: one line per submission with a bar, the count and an ETA (readable in a CI log)
    lines = [line for line in run.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == len(CLASS), run.stderr
    total = len(CLASS)
    assert all(re.match(rf"\[#* *\] \d+/{total} \S+: \S+/\S+ .* elapsed .* ETA ", line) for line in lines), lines
    assert lines[-1].startswith("[" + "#" * 20 + f"] {total}/{total}")
    assert "on 1 local worker(s)" in run.stderr


def test_every_student_reaches_gradebook_feedback_and_report(graded_class):  # noqa: F811
    rows = csv_rows(graded_class)
    scores = gradebook.read_scores(gradebook.default_db_url(graded_class), ASSIGNMENT)
    assert scores == {s: float(r["score"]) for s, r in rows.items()}
    for student in CLASS:
        assert (graded_class / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    report = (graded_class / "reports" / ASSIGNMENT / "report.html").read_text()
    assert all(student in report for student in CLASS)


def test_unchanged_submissions_are_not_graded_again(graded_class, tmp_path):  # noqa: F811
    course = copy_submissions(graded_class, tmp_path / "again")
    for folder in ("autograded", "feedback"):
        shutil.copytree(graded_class / folder, course / folder)
    (course / "submitted" / "cat-blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_bytes(
        (graded_class / "submitted" / "ann-full" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes())
    # a new gradebook: the kept grades must reach it too
    run = grade(course, "--workers", "2", "--no-report")
    assert "unchanged since the last run" in run.stderr
    graded = {m.group(1) for m in re.finditer(r"^\[[# ]*\] \d+/\d+ (\S+):", run.stderr, re.M)}
    # the changed one, and the entries with nothing to keep
    assert graded == {"cat-blank", "eve-file", "fay-link"}, run.stderr
    rows = csv_rows(course)
    assert rows["cat-blank"]["score"] == rows["ann-full"]["score"]
    scores = gradebook.read_scores(gradebook.default_db_url(course), ASSIGNMENT)
    assert scores == {s: float(r["score"]) for s, r in rows.items()}


def test_local_workers_take_one_gpu_each_round_robin():
    pool = LocalBackend(2, ["3", "5"])
    try:
        seen = {f.result(timeout=120) for f in [pool.pool.submit(report_env_value, "CUDA_VISIBLE_DEVICES")
                                                for _ in range(4)]}
    finally:
        pool.close()
    assert seen == {"3", "5"}


def test_default_workers_one_per_gpu_else_one_per_core(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
    assert cuda_devices() == ["0", "1", "2"] and default_workers() == 3
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert cuda_devices() == [] and default_workers() == cores()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    # on a machine with GPUs the default follows them; the tests' grading then runs on them
    assert default_workers() == (len(cuda_devices()) or cores())
