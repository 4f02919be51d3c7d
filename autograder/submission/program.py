"""Line a submission up with the trusted source notebook: the program that gets run.

The graded program is rebuilt from the *source* notebook (solutions/): its setup cells and its
tests, with the student's answer in each solution cell (matched by nbgrader `grade_id`). Whatever
else the submitted file holds (edited or deleted test cells, extra cells) is not executed.
"""

from dataclasses import dataclass, field

from .. import cells
from .align import RESTORED_NOTE, restore_metadata

METADATA_KEY = "autograder"  # notebook metadata the build writes: {"check_modules": [...]}


@dataclass
class GradedCell:
    grade_id: str
    kind: str  # "setup" (trusted code run before the answers), "answer", "test", "manual"
    source: str
    points: float = 0.0
    hidden: bool = False
    title: str = ""  # tests: the student-facing name (cell metadata `title`), else the grade_id


@dataclass
class Program:
    """What gets run: the cells in order, and what the submission looked like."""

    cells: list[GradedCell]
    notes: list[str] = field(default_factory=list)  # e.g. "test cell adam-visible was edited"
    flags: list[str] = field(default_factory=list)  # for a person: e.g. answers that could not be matched
    check_modules: list[str] = field(default_factory=list)  # autograder/checks/<name>.py its tests use

    def answers(self) -> dict[str, str]:
        return {c.grade_id: c.source for c in self.cells if c.kind == "answer"}

    def tests(self) -> list[GradedCell]:
        return [c for c in self.cells if c.kind == "test"]

    def manual_answers(self) -> dict[str, str]:
        return {c.grade_id: c.source for c in self.cells if c.kind == "manual"}

    def max_scores(self) -> tuple[float, float]:
        """(automatic, manual): the points of the test cells, and of the answers graded by hand."""
        return (sum(c.points for c in self.cells if c.kind == "test"),
                sum(c.points for c in self.cells if c.kind == "manual"))


def source_cells(source_nb: dict) -> list[tuple[str, dict, str]]:
    """(grade_id, nbgrader metadata + cell_type + title, source) of the source notebook's nbgrader
    cells, in order."""
    out = []
    for cell in source_nb["cells"]:
        grade_id = cells.grade_id(cell)
        if grade_id:
            title = cell.get("metadata", {}).get("title")
            meta = {**cells.nbgrader(cell), "cell_type": cell.get("cell_type"),
                    "title": title if isinstance(title, str) and title.strip() else grade_id}
            out.append((grade_id, meta, cells.source(cell)))
    return out


def check_modules(source_nb: dict) -> list[str]:
    """The check modules (autograder/checks/<name>.py, core excepted) whose probes and declarations
    the notebook's tests use, as the build recorded them in the notebook's metadata."""
    meta = source_nb.get("metadata", {}).get(METADATA_KEY)
    if not isinstance(meta, dict) or not isinstance(meta.get("check_modules"), list):
        raise ValueError("the source notebook has no autograder metadata: regenerate it with "
                         "`python -m autograder build`")
    return [str(m) for m in meta["check_modules"]]


def build_program(source_nb: dict, submission: dict) -> Program:
    """Line the submission up with the source: the student's answers, everything else trusted.

    Notes (they end up in the status) say what differs from what nbgrader expects: test cells
    edited or deleted (the source's are run), answer cells missing, repeated (every copy runs, in
    the submission's order, as in the student's kernel) or no longer code, stray cells with
    nbgrader metadata (ignored), metadata without schema_version (which stops nbgrader). Cells that
    lost their nbgrader metadata are matched to the source's by content and order first (align.py)."""
    alignment = restore_metadata(source_nb, submission)
    submission = alignment.submission
    submitted: dict[str, tuple[dict, str]] = {}
    copies: dict[str, list[str]] = {}
    no_schema = 0
    for cell in submission.get("cells", []):
        if not isinstance(cell, dict):
            continue
        meta = cells.nbgrader(cell)
        if meta and "schema_version" not in meta:
            no_schema += 1
        grade_id = meta.get("grade_id")
        if isinstance(grade_id, str):
            copies.setdefault(grade_id, []).append(cells.source(cell))
            if grade_id not in submitted:
                submitted[grade_id] = (cell, cells.source(cell))
    notes: list[str] = list(alignment.notes)
    program: list[GradedCell] = []
    known = set()
    for grade_id, meta, source in source_cells(source_nb):
        known.add(grade_id)
        code = meta["cell_type"] == "code"
        if meta.get("solution") and code:
            if grade_id in submitted:
                found = copies[grade_id]
                if len(found) > 1:
                    notes.append(f"answer cell {grade_id} appears {len(found)} times (all run, in order)")
                if submitted[grade_id][0].get("cell_type", "code") != "code":
                    notes.append(f"answer cell {grade_id} is not a code cell (run as code)")
                program.append(GradedCell(grade_id, "answer", found[0]))
                program += [GradedCell(f"{grade_id}#{i}", "answer", text) for i, text in enumerate(found[1:], 2)]
            else:
                notes.append(f"answer cell {grade_id} missing")
                program.append(GradedCell(grade_id, "answer", "raise NotImplementedError('answer cell missing')"))
        elif meta.get("grade") and code:
            hidden = "BEGIN HIDDEN TESTS" in source
            if grade_id not in submitted:
                notes.append(f"test cell {grade_id} deleted (restored)")
            elif visible_part(submitted[grade_id][1]) != visible_part(source):
                notes.append(f"test cell {grade_id} edited (restored)")
            program.append(GradedCell(grade_id, "test", source, float(meta.get("points", 0)), hidden,
                                      meta["title"]))
        elif meta.get("grade"):
            program.append(GradedCell(grade_id, "manual", submitted.get(grade_id, ({}, ""))[1],
                                      float(meta.get("points", 0)), title=meta["title"]))
        elif code and meta.get("locked") and grade_id.startswith("setup"):
            program.append(GradedCell(grade_id, "setup", source))
    stray = [g for g in submitted if g not in known]
    if stray:
        more = f" and {len(stray) - 5} more" if len(stray) > 5 else ""
        notes.append(f"unknown nbgrader cells ignored: {', '.join(sorted(stray)[:5])}{more}")
    if no_schema:
        notes.append(f"nbgrader metadata without schema_version in {no_schema} cell(s) (ignored here; "
                     f"nbgrader would stop)")
    return Program(program, notes, list(alignment.flags), check_modules(source_nb))


# Notes that describe the submission without anything having gone wrong: not part of the status.
INFORMATIVE_NOTES = (RESTORED_NOTE,)


def visible_part(source: str) -> str:
    """A test cell as the student sees it: hidden tests removed, whitespace normalised."""
    return "\n".join(line.rstrip() for line in cells.without_hidden_tests(source).splitlines() if line.strip())
