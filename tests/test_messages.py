"""What a failing test says: values that print differently, the relative error, the first step and
parameter, and the cause, for every known wrong submission whose cause the checks can name.

The submissions run in this process (tests/inprocess.py): the messages are the checks' own, the
same in a notebook, in Colab and in the grader.
"""

import re

import pytest
from conftest import REPO
from inprocess import run_tests, run_variant

from autograder.authoring.variants import parse_variant, variants
from autograder.checks import core, optimizers

ASSIGNMENTS = sorted(p.name for p in (REPO / "tests" / "submissions").iterdir() if p.is_dir())
WITH_CAUSE = [(a, v) for a in ASSIGNMENTS for v in variants(a) if v.cause]
# "yours 0.21575623, torch.optim.Adam's 0.21575618 (error ..." and the like, in every check module
PAIR = re.compile(r"yours (\S+?),? (?:[^(]*?) (-?[\d.e+-]+|inf|nan) \(error")


def test_compare_prints_values_that_differ_with_the_relative_error():
    with pytest.raises(core.CheckFailure) as failure:
        core.compare([0.2157561234], [0.2157560821], what="parameter 0", context="after step 2", theirs="torch's")
    text = str(failure.value)
    assert "yours 0.21575612, torch's 0.21575608" in text
    assert "relative error 1.9e-07" in text


@pytest.mark.parametrize("a, b", [(0.215756, 0.2157561), (1.0, 1.0 + 2**-52), (-3e-9, -3.0000001e-9), (7.0, 7.0)])
def test_format_pair_uses_as_many_digits_as_it_takes(a, b):
    mine, theirs = core.format_pair(a, b)
    assert (mine != theirs) == (a != b)
    assert float(mine) == pytest.approx(a, rel=1e-6) and float(theirs) == pytest.approx(b, rel=1e-6)


def test_the_eps_bug_prints_different_numbers_and_names_its_cause():
    """The issue's example: ε added to √v before the bias correction, at the default eps, where the error
    first exceeds the tolerance after a few steps. The numbers differ in print, the first step and the
    parameter are named, and the message says that every update differs (not "a state bug")."""
    variant = parse_variant(REPO / "tests" / "submissions" / "adam" / "wrong_eps_hat_paper_form.py")
    from inprocess import CellStudent, student_namespace

    namespace, _ = student_namespace("adam", variant.answers)
    core.use_student(CellStudent(namespace, variant.answers))
    try:
        with pytest.raises(core.CheckFailure) as failure:
            optimizers.check_optimizer("MyAdam", "Adam", [
                {"name": "default eps", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.1}}], "steps": 10}])
    finally:
        core.use_student(None)
    text = str(failure.value)
    step = int(re.search(r"after step (\d+): parameter \d+ \(shape", text).group(1))
    assert step > 1, text
    mine, theirs = PAIR.search(text).groups()
    assert mine != theirs, text
    assert "relative error" in text
    assert "ε added to √v before the bias correction" in text
    assert "Your first step already differed" in text  # so the student does not look for a state bug


@pytest.mark.slow  # every known wrong submission, run in this process: ~30 s
@pytest.mark.parametrize("assignment, variant", WITH_CAUSE, ids=[f"{a}/{v.path.stem}" for a, v in WITH_CAUSE])
def test_message_names_the_cause(assignment, variant):
    """The first test cell that fails (in notebook order: what the student reads first) names the cause."""
    outcome = run_variant(assignment, variant)
    assert outcome.failed, f"{variant.path.stem} fails no test"
    message = outcome.messages[outcome.failed[0]]
    assert variant.cause in message, f"{outcome.failed[0]}: {message}"


@pytest.mark.parametrize("assignment", ["adam", "momentum", "schedules"])
def test_every_printed_pair_of_values_differs(assignment):
    """No message prints "yours X, torch's X": the digits go as far as the values differ."""
    checked = 0
    for variant in variants(assignment):
        if variant.expect == "full":
            continue
        for message in run_variant(assignment, variant, visible_only=True).messages.values():
            for mine, theirs in PAIR.findall(message):
                checked += 1
                assert mine != theirs, message
    assert checked >= 10


def test_a_failure_names_the_first_step_and_the_parameter():
    variant = parse_variant(REPO / "tests" / "submissions" / "adam" / "wrong_state_by_shape.py")
    message = run_variant("adam", variant, visible_only=True, only=["adam-state"]).messages["adam-state"]
    assert re.search(r"after step 1: parameter 1 \(shape \(3,\)\) differs at entry \[\d\]", message), message
    assert "parameter 0 (shape (3,)) (same settings) is right" in message


def test_the_solution_draws_no_message():
    for assignment in ["adam", "momentum", "schedules"]:
        assert run_tests(assignment, {}).failed == []
