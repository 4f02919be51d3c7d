"""`python -m autograder check A` ends with a summary: how many known submissions behaved as expected,
which did not, the total time. The grading itself is replaced here by canned results."""

import pytest

from autograder import cli
from autograder.cli.grading import check_summary


def test_summary_counts_names_the_unexpected_and_the_time():
    assert check_summary("adam", [("solution", True), ("a.py", True)], 12.34) == \
        "adam: 2 of 2 known submissions as expected in 12.3 s"
    text = check_summary("adam", [("solution", True), ("wrong_a.py", False), ("wrong_b.py", False)], 61.0)
    assert text.splitlines() == ["adam: 1 of 3 known submissions as expected in 61.0 s",
                                 "not as expected: wrong_a.py, wrong_b.py"]


@pytest.mark.parametrize("misbehaving", [None, "wrong_defaults.py"])
def test_check_prints_the_summary_last(monkeypatch, capsys, misbehaving):
    from autograder.authoring.variants import variants
    from autograder.grading import submission
    from autograder.results import SubmissionResult, TestResult

    known = {v.path.name: v for v in variants("adam")}

    def grade(source, folder, label, assignment):  # what each known submission is expected to get
        if label == "solution" or label == misbehaving:
            return SubmissionResult(label, assignment, 10.0, 10.0)
        if label == "student version":
            return SubmissionResult(label, assignment, 0.0, 10.0)
        variant = known[label]
        tests = [TestResult(g, 0.0, 1.0, False, "differs") for g in variant.fails]
        score = {"partial": 5.0, "zero": 0.0, "full": 10.0}[variant.expect]
        return SubmissionResult(label, assignment, score, 10.0, flags=list(variant.flags), tests=tests)

    monkeypatch.setattr(submission, "grade_submission", grade)
    code = cli.main(["check", "adam"])
    last = capsys.readouterr().out.strip().splitlines()
    total = len(known) + 2
    if misbehaving is None:
        assert code == 0
        assert last[-1].startswith(f"adam: {total} of {total} known submissions as expected in ")
    else:
        assert code == 1
        assert last[-2].startswith(f"adam: {total - 1} of {total} known submissions as expected in ")
        assert last[-1] == f"not as expected: {misbehaving}"
