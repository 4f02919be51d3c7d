"""The student's feedback page, from results built by hand: what each mode shows and what it hides."""

import html
import re

import pytest

from autograder.classroom.feedback import exercise_of, feedback_html, without_traceback, write_feedback
from autograder.results import SubmissionResult, TestResult

EVIL = "<script>alert('x')</script>&"
HIDDEN_MESSAGE = ("MyAdam, small lr, many steps (lr=0.001, eps=0.0) in float64 on cpu: after step 17: parameter 0 "
                  "(shape (4,)) differs at entry [2]: yours 0.51 < torch.optim.Adam's 0.52. Likely cause: no bias "
                  "correction")
VISIBLE_MESSAGE = "MyAdam(params) with lr=-0.1 did not raise ValueError & accepted it: check 0 <= lr"
NADAM_MESSAGE = "MyNAdam, momentum decay (momentum_decay=0.004): after step 3: parameter 1 differs"


def _result(**extra) -> SubmissionResult:
    tests = [
        TestResult("adam-update", 4, 4, True, hidden=True, title="MyAdam: the update (lr, betas, bias correction)"),
        TestResult("adam-eps", 0, 3, False, HIDDEN_MESSAGE, hidden=True, output="printed by a hidden test",
                   title="MyAdam: ε (where it enters the update)"),
        TestResult("adam-args", 0, 1, False, VISIBLE_MESSAGE, title="MyAdam: defaults and invalid settings"),
        TestResult("nadam-schedule", 0, 2, False, NADAM_MESSAGE, hidden=True,
                   title="MyNAdam: momentum schedule (momentum_decay)"),
        TestResult("nadam-grad", 1, 1, True, title="MyNAdam: p.grad left alone"),
    ]
    fields = dict(score=5, max_score=11, tests=tests, manual_max=4, cell_errors={"adam-impl": f"NameError: {EVIL}"})
    fields.update(extra)
    return SubmissionResult(fields.pop("student_id", "ann"), "adam", **fields)


def _text(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, white space as one space."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))


def _section(page: str, exercise: str) -> str:
    match = re.search(rf"<section><h2>{re.escape(exercise)} .*?</section>", page, re.S)
    assert match, exercise
    return match.group(0)


def test_full_lists_every_failure_by_title_with_its_message_grouped_by_exercise():
    page = feedback_html(_result())
    text = _text(page)
    assert "adam: 5 / 11 points" in text and "2 of 5 tests passed." in text
    adam, nadam = _section(page, "MyAdam"), _section(page, "MyNAdam")
    # the hidden failure with its title and message, in its exercise, points lost per exercise
    assert "ε (where it enters the update)" in adam and html.escape(HIDDEN_MESSAGE) in adam
    assert "did not raise ValueError &amp; accepted it" in adam and "4 / 8 points" in adam
    assert "2 failed, 4 points lost" in _text(adam)
    assert html.escape(NADAM_MESSAGE) in nadam and "1 / 3 points" in nadam and NADAM_MESSAGE not in adam
    assert page.index("MyAdam") < page.index("MyNAdam")  # the notebook's order
    # passed tests compactly: title and points, no message
    assert re.search(r"<li>✓ the update \(lr, betas, bias correction\) <span class='pts'>4</span></li>", adam)
    assert "✓ p.grad left alone" in nadam
    assert text.count("hidden") >= 3  # two tags and the note explaining them
    assert "printed by a hidden test" not in page  # a test's printed output never shows
    assert "adam-eps" not in page and "nadam-schedule" not in page  # titles, not grade ids


def test_counts_keeps_hidden_tests_to_counts():
    page = feedback_html(_result(), "counts")
    text = _text(page)
    assert VISIBLE_MESSAGE in text and "defaults and invalid settings" in text
    for secret in ("small lr", "bias", "ε", "momentum", "schedule"):
        assert secret not in text, secret
    assert "1 of 3 hidden test groups passed (4 / 9 points)" in text


def test_student_text_is_escaped():
    result = _result(student_id=EVIL, status=f"invalid notebook: {EVIL}")
    result.tests[2].message = EVIL
    result.tests[2].title = f"MyAdam: {EVIL}"
    for mode in ("full", "counts"):
        page = feedback_html(result, mode)
        assert "<script>" not in page and "alert('x')" not in page
        assert html.escape(EVIL) in page


def test_status_cell_errors_and_hand_graded_points_are_said_plainly():
    page = _text(feedback_html(_result(status="timeout: cell adam-impl ran over 60 s")))
    assert "Grading did not go normally: timeout: cell adam-impl ran over 60 s" in page
    assert "Errors in your cells" in page and "adam-impl: NameError" in page
    assert "Written answers (4 points) are graded by hand: those points come later" in page
    quiet = _text(feedback_html(_result(manual_max=0, cell_errors={}, status="ok")))
    assert "did not go normally" not in quiet and "graded by hand" not in quiet and "Errors in" not in quiet
    empty = _text(feedback_html(SubmissionResult("bob", "adam", max_score=11, status="invalid notebook JSON")))
    assert "No test ran." in empty and "invalid notebook JSON" in empty


def test_the_page_stands_alone_on_a_phone():
    page = feedback_html(_result())
    assert 'name="viewport"' in page and "max-width" in page and "pre-wrap" in page
    assert not re.search(r"""(src|href)=|@import|url\(""", page)  # no asset from anywhere
    assert len(page) < 10_000


def test_a_traceback_in_a_message_keeps_only_the_exception():
    message = ("internal error in test adam-eps: Traceback (most recent call last):\n"
               '  File "<test adam-eps>", line 3, in <module>\n'
               '    check_optimizer("MyAdam", "Adam", [{"name": "secret case"}])\n'
               "    ^^^^^^^^^^^^^^^\n"
               '  File "/repo/autograder/checks/optimizers.py", line 10, in check_optimizer\n'
               "    raise KeyError(case)\n"
               "KeyError: 'groups'")
    assert without_traceback(message) == "internal error in test adam-eps:\nKeyError: 'groups'"
    assert without_traceback(VISIBLE_MESSAGE) == VISIBLE_MESSAGE
    assert without_traceback("Traceback (most recent call last):\n  File \"x\", line 1\n    y") != ""
    result = _result()
    result.tests[1].message = message
    page = feedback_html(result)
    assert "secret case" not in page and "check_optimizer" not in page and "KeyError: &#x27;groups&#x27;" in page


def test_exercise_is_the_title_before_its_colon():
    assert exercise_of("MyAdam: weight decay") == ("MyAdam", "weight decay")
    assert exercise_of("MySGD on the ravine, γ = 0.25") == ("MySGD on the ravine, γ = 0.25", "")
    assert exercise_of("Schedules: an lr changed: chained") == ("Schedules", "an lr changed: chained")


def test_write_feedback_uses_the_mode(tmp_path):
    full = write_feedback(tmp_path, _result()).read_text()
    counts = write_feedback(tmp_path, _result(), "counts").read_text()
    assert "small lr" in full and "small lr" not in counts
    assert (tmp_path / "feedback" / "ann" / "adam" / "adam.html").read_text() == counts
    with pytest.raises(ValueError):
        feedback_html(_result(), "everything")
