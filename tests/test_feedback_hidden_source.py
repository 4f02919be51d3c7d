"""A failing hidden test's feedback (mode full, the default) names it and says what went wrong, and
holds no line of that hidden test's source.

The hidden regions of the real source notebook (solutions/adam/adam.ipynb, between `### BEGIN HIDDEN
TESTS` and `### END HIDDEN TESTS`) run as the grader runs a test cell (grading/runner.py's `run_test`)
against known wrong submissions, in this process (tests/inprocess.py): the messages are the checks'
own. A Python traceback of a hidden region, which quotes its lines, stands in for a message gone wrong.
"""

import html
import linecache
import re
import traceback

import pytest
from conftest import REPO
from inprocess import CellStudent, graded_cells, student_namespace

from autograder import cells
from autograder.authoring.variants import parse_variant, solution_answers
from autograder.checks import core
from autograder.classroom.feedback import feedback_html, without_traceback
from autograder.grading.runner import namespace_for_tests, run_test
from autograder.results import SubmissionResult, TestResult

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SUBMISSIONS = REPO / "tests" / "submissions" / "adam"
# Each pair fails most hidden regions of MyAdam and MyNAdam between them (a region runs on its own, so
# the message is the hidden cases' own, not a visible case's that fails first).
WRONG = [("wrong_no_bias_correction.py", "wrong_nadam_mu_not_accumulated.py"),
         ("wrong_no_value_errors.py", "wrong_nadam_grad_modified_in_place.py")]


def hidden_regions() -> list[tuple[str, str, str]]:
    """(grade_id, title, hidden code) of every hidden region of the source notebook's test cells."""
    return [(cells.nbgrader(cell)["grade_id"], cell["metadata"]["title"], block)
            for cell in graded_cells("adam") for block in HIDDEN.findall(cells.source(cell))]


def source_lines(code: str) -> set[str]:
    """The lines of `code` that say something (a line of brackets alone, `])`, says nothing)."""
    return {line.strip() for line in code.splitlines() if re.search(r"\w", line)}


def _results(answers: dict[str, str]) -> list[TestResult]:
    namespace, errors = student_namespace("adam", answers)
    assert not errors, errors
    core.use_student(CellStudent(namespace, {**solution_answers(_source_nb()), **answers}))
    tests = []
    try:
        for grade_id, title, code in hidden_regions():
            passed, message, printed, _ = run_test(code, grade_id, namespace_for_tests())
            tests.append(TestResult(grade_id, 0.0 if not passed else 1.0, 1.0, passed, message, True, printed, title))
    finally:
        core.use_student(None)
    return tests


def _source_nb() -> dict:
    from inprocess import source_notebook

    return source_notebook("adam")


def _traceback_of(grade_id: str, code: str) -> str:
    """What a traceback of a failing hidden region looks like: it quotes the region's lines."""
    filename = f"<test {grade_id}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = dict(namespace_for_tests())
    namespace.update({name: _raise for name in ("check_optimizer", "check_rejects", "check_grads_untouched",
                                                "check_own_implementation")})
    try:
        exec(compile(code, filename, "exec"), namespace)
    except RuntimeError:
        return traceback.format_exc()
    finally:
        del linecache.cache[filename]
    raise AssertionError("the region did not raise")


def _raise(*args, **kwargs):
    raise RuntimeError("the reference could not be computed")


def test_the_source_has_hidden_regions_to_keep():
    regions = hidden_regions()
    assert len(regions) >= 15 and all(title.startswith(("MyAdam: ", "MyNAdam: ")) for _, title, _ in regions)
    assert len(set().union(*(source_lines(code) for _, _, code in regions))) > 50


@pytest.mark.parametrize("adam, nadam", WRONG, ids=lambda name: name.removesuffix(".py"))
def test_a_failing_hidden_test_is_explained_without_its_source(adam, nadam):
    answers = {**parse_variant(SUBMISSIONS / adam).answers, **parse_variant(SUBMISSIONS / nadam).answers}
    tests = _results(answers)
    failed = [t for t in tests if not t.passed]
    assert {t.title.split(":")[0] for t in failed} == {"MyAdam", "MyNAdam"}, [t.title for t in failed]
    # a traceback in a message (the grader never sends one: make sure the page would not show it either)
    grade_id, title, code = hidden_regions()[0]
    quoted = _traceback_of(grade_id, code)
    assert source_lines(code) & source_lines(quoted)  # the traceback does quote the hidden source
    tests.append(TestResult(grade_id, 0.0, 1.0, False, quoted, True, "", title))

    page = html.unescape(feedback_html(SubmissionResult("ann", "adam", tests=tests), "full"))
    for test in tests:
        if not test.passed:
            name = test.title.split(": ", 1)[1]
            assert name in page and without_traceback(test.message) in page, test.title
    assert "the reference could not be computed" in page  # the traceback's exception, on its own
    for grade_id, title, code in hidden_regions():
        leaked = [line for line in source_lines(code) if line in page]
        assert not leaked, (title, leaked[:3])
