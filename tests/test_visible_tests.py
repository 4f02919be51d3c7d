"""The visible tests (what a student runs in Colab) catch the common real bugs and every known wrong
submission, and each test cell grades one feature: a bug costs the points of that feature only.

In this process (tests/inprocess.py): the student's cells and the test cells, no sandbox. The same
grades through the sandbox are tested end to end in test_grading.py.
"""

import ast
import json

import pytest
from conftest import REPO
from inprocess import graded_cells, run_tests, run_variant

from autograder.authoring.variants import parse_variant, variants

RESTRUCTURED = ["adam", "momentum", "schedules"]
# Variants whose behaviour depends on the sandbox (torch's own implementation is switched off there only).
IN_PROCESS = [(a, v) for a in RESTRUCTURED for v in variants(a) if v.expect != "full" and not v.flags]

# The common real bugs of public homeworks and libraries (issue 12), and the visible test that must catch each.
COMMON_BUGS = {
    ("adam", "wrong_adamw_decay"): "adam-weight-decay",
    ("adam", "wrong_nadam_decoupled_decay"): "nadam-weight-decay",
    ("momentum", "wrong_decoupled_weight_decay"): "sgd-weight-decay",
    ("adam", "wrong_grad_modified_in_place"): "adam-grad",
    ("adam", "wrong_nadam_grad_modified_in_place"): "nadam-grad",
    ("momentum", "wrong_grad_modified"): "sgd-grads",
    ("schedules", "wrong_step_closed_form"): "schedules-chaining",
    ("adam", "wrong_eps_before_bias_correction"): "adam-eps",
    ("adam", "wrong_eps_hat_paper_form"): "adam-eps",
    ("adam", "wrong_eps_inside_sqrt"): "adam-eps",
}


def _variant(assignment: str, name: str):
    return parse_variant(REPO / "tests" / "submissions" / assignment / f"{name}.py")


def _points(assignment: str) -> dict[str, float]:
    return {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"]
            for c in graded_cells(assignment)}


@pytest.mark.parametrize("assignment", RESTRUCTURED)
def test_the_solution_passes_every_test(assignment):
    outcome = run_tests(assignment, {})
    assert outcome.failed == [] and outcome.cell_errors == {}, outcome.messages


@pytest.mark.parametrize("key", sorted(COMMON_BUGS), ids=["/".join(k) for k in sorted(COMMON_BUGS)])
def test_the_common_real_bugs_fail_a_visible_test(key):
    assignment, name = key
    outcome = run_variant(assignment, _variant(assignment, name), visible_only=True)
    assert outcome.failed[:1] == [COMMON_BUGS[key]], outcome.messages


@pytest.mark.slow  # every known wrong submission, run in this process: ~20 s
@pytest.mark.parametrize("assignment, variant", IN_PROCESS, ids=[f"{a}/{v.path.stem}" for a, v in IN_PROCESS])
def test_every_known_wrong_submission_fails_a_visible_test_and_exactly_its_cells(assignment, variant):
    """Caught before submitting; and in full (visible and hidden parts), it fails exactly the test cells its
    header names, the ones test_grading.py expects through the sandbox."""
    visible = run_variant(assignment, variant, visible_only=True)
    assert visible.failed, f"{variant.path.stem} passes every visible test"
    full = run_variant(assignment, variant)
    assert sorted(full.failed) == sorted(variant.fails), full.messages
    assert set(visible.failed) <= set(full.failed)


@pytest.mark.parametrize("assignment, name, lost", [
    ("adam", "wrong_adamw_decay", 3),                 # was 8 of the 20 MyAdam points
    ("adam", "wrong_eps_hat_paper_form", 3),          # was 16
    ("adam", "wrong_eps_before_bias_correction", 3),
    ("momentum", "wrong_decoupled_weight_decay", 3),
    ("momentum", "wrong_weight_decay_after_momentum", 3),
    ("schedules", "wrong_step_closed_form", 4),
    ("schedules", "wrong_cosine_clamped", 2),         # was 7: the resume test compares with your own run
])
def test_a_bug_costs_the_points_of_its_feature(assignment, name, lost):
    variant = _variant(assignment, name)
    points = _points(assignment)
    assert sum(points[g] for g in variant.fails) == lost


def test_plain_sgd_without_momentum_earns_the_points_of_what_works():
    """A correct SGD without momentum (momentum not written yet): plain SGD, the argument checks and the
    own-work test pass (it got 2 of 29 points when every test needed momentum)."""
    variant = _variant("momentum", "wrong_momentum_not_written")
    points = _points("momentum")
    earned = sum(p for g, p in points.items() if g not in variant.fails)
    assert {"sgd-plain", "sgd-args", "sgd-own-work"} <= set(points) - set(variant.fails)
    assert earned >= 7


@pytest.mark.parametrize("assignment, total", [("adam", 40), ("momentum", 29), ("schedules", 28)])
def test_totals_are_kept(assignment, total):
    assert sum(_points(assignment).values()) == total


def test_no_check_module_implements_a_graded_class():
    """The checks are inlined into the student notebooks (issue 10): they compare with torch's own classes
    and with patterns in the numbers, and define no optimizer or scheduler of their own."""
    for path in sorted((REPO / "autograder" / "checks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
                assert not bases & {"Optimizer", "LRScheduler", "_LRScheduler", "Adam", "SGD", "NAdam", "AdamW",
                                    "StepLR", "ExponentialLR", "CosineAnnealingLR"}, f"{path.name}: {node.name}"


def test_the_visible_part_is_what_the_student_notebook_holds():
    """In each student notebook, every test cell is the source's cell without its hidden block."""
    from inprocess import _source, visible_part

    for assignment in RESTRUCTURED:
        student = json.loads((REPO / "assignments" / assignment / f"{assignment}.ipynb").read_text())
        released = {c["metadata"]["nbgrader"]["grade_id"]: _source(c) for c in student["cells"]
                    if c["metadata"].get("nbgrader", {}).get("grade")}
        for cell in graded_cells(assignment):
            grade_id = cell["metadata"]["nbgrader"]["grade_id"]
            assert released[grade_id].strip() == visible_part(_source(cell)).strip(), grade_id
