"""Submission variants (tests/submissions/<assignment>/*.py): known answers with known grades.

See tests/submissions/README.md for the format. Used by the test suite and `python -m autograder check`.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import cells
from ..paths import REPO, Course
from ..submission.read import load_source


@dataclass
class Variant:
    path: Path
    expect: str  # "full", "partial" or "zero"
    answers: dict[str, str]
    fails: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    why: str = ""
    cause: str = ""  # words the failing test's message must contain (the checks name the cause)


_CELL = re.compile(r"^# %% (\S+)\s*$", re.M)


def parse_variant(path: Path) -> Variant:
    text = path.read_text()
    header = text[: m.start()] if (m := _CELL.search(text)) else text
    fields = dict(re.findall(r"^# (expect|fails|flags|why|cause):\s*(.*)$", header, re.M))
    if fields.get("expect") not in ("full", "partial", "zero"):
        raise ValueError(f"{path}: header needs '# expect: full|partial|zero'")
    parts = _CELL.split(text)[1:]
    answers = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(0, len(parts), 2)}
    return Variant(path, fields["expect"], answers, fields.get("fails", "").split(), fields.get("flags", "").split(),
                   fields.get("why", ""), fields.get("cause", "").strip())


def variants(assignment: str, repo: Path = REPO) -> list[Variant]:
    return [parse_variant(p) for p in sorted((repo / "tests" / "submissions" / assignment).glob("*.py"))]


def solution_answers(source_nb: dict, cell_types: tuple = ("code",)) -> dict[str, str]:
    """{grade_id: the solution's text} of every answer cell of a source notebook of these types (the
    code answers; add "markdown" for the written ones too)."""
    answers = {}
    for cell in source_nb["cells"]:
        grade_id = cells.grade_id(cell)
        if cell.get("cell_type") in cell_types and grade_id and cells.nbgrader(cell).get("solution"):
            answers[grade_id] = cells.source(cell)
    return answers


def answered_notebook(student_nb: dict, answers: dict[str, str]) -> dict:
    """The student notebook with the cells named in `answers` (by grade_id) holding those answers."""
    for cell in student_nb["cells"]:
        grade_id = cells.grade_id(cell)
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return student_nb


def variant_notebook(assignment: str, variant: Variant, repo: Path = REPO) -> dict:
    """The student notebook with the solution's answers, then the variant's answers, filled in."""
    course = Course(repo)
    solution = solution_answers(load_source(course.source_notebook(assignment)))
    unknown = set(variant.answers) - set(solution)
    if unknown:
        raise ValueError(f"{variant.path}: no answer cells named {sorted(unknown)} in {assignment}")
    nb = json.loads(course.release_notebook(assignment).read_text())
    return answered_notebook(nb, {**solution, **variant.answers})
