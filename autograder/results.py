"""What grading produces, as plain data: one result per test cell, one per submission.

This is the only thing that crosses from a grading worker (local or on a Dask cluster) to the
class-level process, as JSON: it imports nothing heavy, so the class-level process reads results,
writes the gradebook, the feedback and the report without loading torch.
"""

import json
from dataclasses import asdict, dataclass, field

# What a hand-graded answer cell holds before the student writes anything (nbgrader's placeholder).
BLANK_ANSWERS = ("", "YOUR ANSWER HERE")


# Student-controlled text (notes naming their cells, statuses, messages) is capped at this length
# where a person reads it among many (grades.csv, the gradebook, the report); result.json keeps it all.
FIELD_LIMIT = 300


def capped(text: str, limit: int = FIELD_LIMIT) -> str:
    """`text` cut to at most `limit` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    kept = max(0, limit - 60)  # room for the note below
    return f"{text[:kept]}… [{len(text) - kept} more characters in result.json]"


def is_blank_answer(text: str) -> bool:
    """A written answer the student left as it came: nothing for a person to grade."""
    return text.strip() in BLANK_ANSWERS


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    hidden: bool = False
    output: str = ""
    title: str = ""  # the student-facing name of the test cell (its metadata `title`), else its grade_id


@dataclass
class SubmissionResult:
    student_id: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = "ok"
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    cell_errors: dict[str, str] = field(default_factory=dict)
    manual_max: float = 0.0
    manual_answers: dict[str, str] = field(default_factory=dict)
    output: str = ""
    seconds: float = 0.0
    device: str = ""  # where the tests' probes could run: "cpu", or "cuda" and the GPU(s) the worker was pinned to
    fingerprint: str = ""
    # where the time went: sandbox start-up (process, namespaces, imports), the student's cells,
    # the tests (probes included), and how many times the sandbox was started
    timings: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float = 0.0  # largest resident size of the student's process tree seen

    @property
    def needs_manual_grade(self) -> bool:
        """Some written answer is not blank: a person grades it (in formgrader)."""
        return any(not is_blank_answer(a) for a in self.manual_answers.values())

    @property
    def tests_passed(self) -> int:
        return sum(t.passed for t in self.tests)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        """From `to_json`'s output; unknown keys (written by another version) are ignored."""
        data = dict(data)
        test_fields = set(TestResult.__dataclass_fields__)
        data["tests"] = [TestResult(**{k: v for k, v in t.items() if k in test_fields})
                         for t in data.get("tests", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def result_json(result: SubmissionResult) -> str:
    return json.dumps(result.to_json(), indent=1, sort_keys=True)


def read_result(text: str) -> SubmissionResult:
    """A result.json's content; ValueError when it is not one."""
    try:
        return SubmissionResult.from_json(json.loads(text))
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"not a grading result: {error}") from error

