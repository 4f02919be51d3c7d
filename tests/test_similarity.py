"""Borrowed code is flagged for a person: torch's own source pasted in with the names changed, and two
submissions that are the same code under other names. Honest work in other styles is not flagged.

One Adam class graded once with `python -m autograder grade` (similarity on), and one momentum class
with torch's SGD pasted in. The grades are the tests' business: similarity only flags."""

import importlib.util
import json
import re

import pytest
from grader_fixtures import grade_course, grades, notebook_with, submit, variant_answers

from autograder.classroom.job import ClassJob
from autograder.classroom.similarity import graded_cells, student_code
from autograder.paths import THIS_REPO, Course

pytestmark = pytest.mark.slow  # grades classes in subprocesses


def torch_source(module: str, cls: str, new: str) -> str:
    """torch's file of `module`, runnable in a notebook cell, its optimizer renamed `new`."""
    text = open(importlib.util.find_spec(module).origin).read()
    text = text.replace("from .optimizer import", "from torch.optim.optimizer import")
    text = re.sub(rf"\b{cls}\b", new, text)
    return text.replace("__all__ = ", "_all = ")


def renamed(code: str) -> str:
    """The same code with other names and spacing: what a copier does to hide it."""
    for old, new in (("exp_avg_sq", "second"), ("exp_avg", "first"), ("beta1", "b_one"), ("beta2", "b_two"),
                     ("grad", "g"), ("state", "memory"), ("group", "settings")):
        code = re.sub(rf"(?<![.\w]){old}\b", new, code)  # names, not attributes (p.grad stays)
    return code.replace("    ", "  ")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("similarity") / "course"
    solution = notebook_with()
    adam = next(c for c in solution["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "adam-impl")
    mine = "".join(adam["source"])
    # each student writes what the test is about; the other answer cells stay as handed out
    students = {
        "honest-solution": notebook_with(),
        "honest-textbook": notebook_with(blank=True, answers=variant_answers("full_textbook")),
        "honest-foreach": notebook_with(blank=True, answers=variant_answers("full_foreach")),
        "honest-lerp": notebook_with(blank=True, answers=variant_answers("full_lerp_addcdiv")),
        "copier": notebook_with(blank=True, answers={"adam-impl": renamed(mine)}),
        "torch-nadam": notebook_with(blank=True, answers={
            "nadam-impl": torch_source("torch.optim.nadam", "NAdam", "MyNAdam")}),
    }
    for student, nb in students.items():
        submit(course, student, nb)
    run = grade_course(course, "adam", "--similarity", "--report")
    return course, run


def test_pasted_torch_source_is_flagged(graded):
    course, _ = graded
    row = grades(course)["torch-nadam"]
    assert "similar-to-torch-source" in row["flags"].split(), row
    assert "MyNAdam" in row["notes"] and "torch/optim/nadam.py" in row["notes"]


def test_the_same_code_under_other_names_is_flagged_on_both_sides(graded):
    course, _ = graded
    rows = grades(course)
    assert "similar-to:honest-solution" in rows["copier"]["flags"].split()
    assert "similar-to:copier" in rows["honest-solution"]["flags"].split()


def test_honest_work_in_other_styles_is_not_flagged(graded):
    course, _ = graded
    rows = grades(course)
    for student in ("honest-textbook", "honest-foreach", "honest-lerp"):
        assert not [f for f in rows[student]["flags"].split() if f.startswith("similar-to")], rows[student]
    assert "similar-to-torch-source" not in rows["honest-solution"]["flags"]


def test_the_report_shows_the_matching_code_side_by_side(graded):
    course, _ = graded
    findings = json.loads((course / "reports" / "adam" / "similarity.json").read_text())
    pair = next(p for p in findings["pairs"] if {p["who"], p["other"]} == {"copier", "honest-solution"})
    assert "<mark>" in pair["html"] and "<mark>" in pair["other_html"] and pair["share"] >= 0.8
    page = Course(course).report("adam").read_text()
    assert "Similar code" in page and "copier" in page and "torch/optim/nadam.py" in page
    assert page.count("<mark>") >= 3


def test_only_the_answer_cells_are_compared(graded):
    course, _ = graded
    job = ClassJob(course, "adam", THIS_REPO.source_notebook("adam"))
    units = graded_cells(json.loads(job.source.read_text()))
    assert set(units) == {"adam-impl", "nadam-impl"} and "MyAdam" in units["adam-impl"][0]
    assert set(student_code(job, "copier")) == {"adam-impl", "nadam-impl"}
