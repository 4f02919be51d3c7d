"""The result model: torch-free, round-trips through JSON, one rule for blank written answers."""

import subprocess
import sys

import pytest

from autograder.results import SubmissionResult, TestResult, capped, is_blank_answer, read_result, result_json


def test_a_result_round_trips_and_ignores_unknown_fields():
    r = SubmissionResult("ann", "adam", 3, 5, tests=[TestResult("t", 3, 5, False, "m", True, "out", "T")],
                         manual_answers={"q": "YOUR ANSWER HERE"})
    data = r.to_json()
    data["from_a_newer_version"] = 1
    data["tests"][0]["extra"] = 2
    back = read_result(result_json(SubmissionResult.from_json(data)))
    assert back == r and back.tests[0].title == "T"
    with pytest.raises(ValueError):
        read_result('{"tests": 3}')


def test_blank_answers_and_what_needs_a_person():
    assert is_blank_answer("  YOUR ANSWER HERE \n") and is_blank_answer("") and not is_blank_answer("Because.")
    assert not SubmissionResult("a", "b", manual_answers={"q": "YOUR ANSWER HERE"}).needs_manual_grade
    assert SubmissionResult("a", "b", manual_answers={"q": "Because."}).needs_manual_grade


def test_the_class_level_modules_load_without_torch():
    """Reading results, the gradebook, feedback, grades.csv and the report never imports torch."""
    code = ("import sys\nimport autograder.classroom.run, autograder.classroom.resume, autograder.classroom.report, "
            "autograder.classroom.feedback, autograder.classroom.grades_csv, autograder.classroom.cluster, "
            "autograder.classroom.local, autograder.cli\n"
            "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_long_student_text_is_capped_saying_so():
    assert capped("short") == "short"
    long = capped("x" * 200_000)
    assert len(long) <= 300 and long.endswith("[199760 more characters in result.json]")
