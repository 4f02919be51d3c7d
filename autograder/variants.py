"""Submission variants (tests/submissions/<assignment>/*.py): known answers with known grades.

See tests/submissions/README.md for the format. Used by the test suite and `python -m autograder check`.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .build import REPO
from .notebook import load_source


@dataclass
class Variant:
    path: Path
    expect: str  # "full", "partial" or "zero"
    answers: dict[str, str]
    fails: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    why: str = ""


_CELL = re.compile(r"^# %% (\S+)\s*$", re.M)


def parse_variant(path: Path) -> Variant:
    text = path.read_text()
    header = text[: m.start()] if (m := _CELL.search(text)) else text
    fields = dict(re.findall(r"^# (expect|fails|flags|why):\s*(.*)$", header, re.M))
    if fields.get("expect") not in ("full", "partial", "zero"):
        raise ValueError(f"{path}: header needs '# expect: full|partial|zero'")
    parts = _CELL.split(text)[1:]
    answers = {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(0, len(parts), 2)}
    return Variant(path, fields["expect"], answers, fields.get("fails", "").split(), fields.get("flags", "").split(),
                   fields.get("why", ""))


def variants(assignment: str, repo: Path = REPO) -> list[Variant]:
    return [parse_variant(p) for p in sorted((repo / "tests" / "submissions" / assignment).glob("*.py"))]


def variant_notebook(assignment: str, variant: Variant, repo: Path = REPO) -> dict:
    """The student notebook with the solution's answers, then the variant's answers, filled in."""
    source = load_source(repo / "solutions" / assignment / f"{assignment}.ipynb")
    solution = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "code"}
    unknown = set(variant.answers) - set(solution)
    if unknown:
        raise ValueError(f"{variant.path}: no answer cells named {sorted(unknown)} in {assignment}")
    nb = json.loads((repo / "assignments" / assignment / f"{assignment}.ipynb").read_text())
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solution:
            cell["source"] = variant.answers.get(grade_id, solution[grade_id])
    return nb
