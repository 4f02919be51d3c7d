"""`autograded/<student>/<a>/<a>.ipynb`: the notebook nbgrader's own tools read after grading.

nbgrader's formgrader lists a submission for hand grading, and `nbgrader generate_feedback` renders
it, only from this file. We grade outside nbgrader, so we write it ourselves, as nbgrader's
autograde would: the trusted cells, the student's answers in their cells, the tests' results as the
test cells' outputs. It is built on the *release* notebook (what students were given), so it holds
no solution and no hidden-test source: nbgrader's feedback shows it to the student as it is.

The timestamp and secret files nbgrader's exchange wrote beside a submission are copied beside
the autograded notebook and beside the feedback page, where nbgrader's `generate_feedback` and
`release_feedback` look for them (submitted_files.py).
"""

import json
from pathlib import Path
from typing import Optional

from .. import cells
from ..paths import SOURCE_DIR, Course
from ..results import SubmissionResult
from ..submission.choose import choose_notebook
from ..submission.program import Program, build_program
from ..submission.read import SubmissionError, read_submission
from .submitted_files import copy_submission_files


def release_for(source_path: Path) -> Optional[dict]:
    """The student version generated beside `solutions/<a>/<a>.ipynb` (None: there is none)."""
    root = source_path.resolve().parent.parent.parent
    if source_path.resolve().parent.parent.name != SOURCE_DIR:
        return None
    path = Course(root).release_notebook(source_path.stem)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def student_version(source: dict) -> dict:
    """The source notebook as students get it, where no release notebook was generated: answers
    emptied, hidden tests removed, and any other cell holding a solution region left out."""
    nb = json.loads(json.dumps(source))
    kept = []
    for cell in nb["cells"]:
        meta, text = cells.nbgrader(cell), cells.source(cell)
        if meta.get("solution"):
            cell["source"] = "" if cell.get("cell_type") == "code" else "YOUR ANSWER HERE"
        elif meta.get("grade"):
            cell["source"] = cells.without_hidden_tests(text)
        elif "### BEGIN SOLUTION" in text or "### BEGIN HIDDEN TESTS" in text:
            continue
        kept.append(cell)
    nb["cells"] = kept
    return nb


def student_program(source: dict, folder: Path, notebook: str) -> Optional[Program]:
    """The submission lined up with the source, as the grader did it (None: no readable notebook)."""
    path = choose_notebook(folder, notebook).path
    if path is None:
        return None
    try:
        return build_program(source, read_submission(path))
    except SubmissionError:
        return None


def _error_output(title: str, message: str) -> dict:
    return {"output_type": "error", "ename": title, "evalue": message.splitlines()[0] if message else "",
            "traceback": message.splitlines() or [title]}


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def autograded_notebook(release: dict, program: Optional[Program], result: SubmissionResult) -> dict:
    """The release notebook with the student's answers and the tests' outputs.

    `program` None (an unreadable file): the answers stay as given out, and a first cell says why."""
    nb = json.loads(json.dumps(release))  # a deep copy: the release is shared between students
    answers: dict[str, list[str]] = {}
    manual: dict[str, str] = {}
    if program is not None:
        for c in program.cells:
            if c.kind == "answer":
                answers.setdefault(c.grade_id.split("#")[0], []).append(c.source)
            elif c.kind == "manual":
                manual[c.grade_id] = c.source
    tests = {t.grade_id: t for t in result.tests}
    for cell in nb["cells"]:
        grade_id = cells.grade_id(cell)
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
        if grade_id is None:
            continue
        if grade_id in answers:
            # a cell the student repeated ran once per copy, in order: show every copy
            cell["source"] = "\n\n".join(answers[grade_id])
        elif grade_id in manual:
            cell["source"] = manual[grade_id]
        if grade_id in result.cell_errors and cell.get("cell_type") == "code":
            cell["outputs"].append(_error_output("Error", result.cell_errors[grade_id]))
        test = tests.get(grade_id)
        if test is not None and cell.get("cell_type") == "code":
            if test.output:
                cell["outputs"].append(_stream(test.output))
            if not test.passed:
                cell["outputs"].append(_error_output("Failed", test.message or "failed"))
    if result.status != "ok":
        note = f"**Autograder:** {result.status}"
        nb["cells"].insert(0, {"cell_type": "markdown", "id": "autograder-status", "metadata": {}, "source": note})
    return nb


def write_autograded(course: Path, result: SubmissionResult, source_path: Path, source: dict,
                     release: Optional[dict]) -> Path:
    """Write the autograded notebook (atomically) and copy the submission's timestamp files."""
    layout = Course(course)
    folder = layout.submission(result.student_id, result.assignment)
    program = student_program(source, folder, source_path.name)
    nb = autograded_notebook(release if release is not None else student_version(source), program, result)
    path = layout.autograded_notebook(result.student_id, result.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    tmp.replace(path)
    copy_submission_files(folder, path.parent, layout.feedback_folder(result.student_id, result.assignment))
    return path
