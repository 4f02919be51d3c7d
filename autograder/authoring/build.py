"""Generate every notebook from its one source: `solutions/<a>/<a>.py` (jupytext percent format).

    solutions/<a>/<a>.py  --inline shared modules-->  solutions/<a>/<a>.ipynb  (nbgrader source)
                          --nbgrader generate_assignment-->  assignments/<a>/<a>.ipynb (student version)

A code cell whose first line is `# inline: path [path ...]` receives those modules' source, so a
student notebook needs nothing beyond what Colab ships (torch, numpy, plotly). The check modules
inlined that way are recorded in the notebook's metadata (`autograder.check_modules`): the grader
reads from there which probes and switched-off code an assignment's tests use.
"""

import ast
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Optional

import jupytext
import nbformat

from ..nbgrader_settings import IGNORE, configure
from ..paths import RELEASE_DIR, REPO, SOURCE_DIR, Course
from ..submission.program import METADATA_KEY
from .precompute import hand_out, not_handed_out

INLINE = "# inline: "
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
CHECKS_PREFIX = "autograder/checks/"


def assignments(root: Path = REPO) -> list[str]:
    """Names of the assignments: every `solutions/<a>/<a>.py`."""
    return sorted(p.parent.name for p in (root / SOURCE_DIR).glob("*/*.py") if p.stem == p.parent.name)


def inline_modules(paths: Iterable[str], repo: Path = REPO) -> str:
    """The modules' source, concatenated, without their package-relative imports."""
    paths = list(paths)
    parts = []
    for rel in paths:
        source = (repo / rel).read_text()
        drop: set[int] = set()
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                drop.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        lines = [line for i, line in enumerate(source.splitlines(), start=1) if i not in drop]
        parts.append(f"# ---- {rel} ----\n" + "\n".join(lines).strip() + "\n")
    # the first line is the cell's title where it shows collapsed (Colab's `# @title` forms)
    header = ("# @title Helpers (run this cell; no need to read it)\n"
              f"# Generated from {', '.join(paths)} by `python -m autograder build`. Do not edit:\n"
              "# the autograder restores this cell.\n")
    return header + "\n\n".join(parts)


def inlined_check_modules(paths: Iterable[str]) -> list[str]:
    """The chapter check modules among inlined paths (core, which every chapter uses, excepted)."""
    names = [p[len(CHECKS_PREFIX):-3] for p in paths if p.startswith(CHECKS_PREFIX) and p.endswith(".py")]
    return [n for n in names if n not in ("core", "__init__")]


def source_to_notebook(path: Path, repo: Path = REPO) -> nbformat.NotebookNode:
    """Read a jupytext source and return the nbgrader source notebook, deterministic to the byte."""
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata = json.loads(json.dumps(NOTEBOOK_METADATA))
    check_modules: list[str] = []
    helper_cells: list[int] = []  # the cells the check modules are inlined into
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith(INLINE):
            first, _, rest = cell.source.partition("\n")
            paths = first[len(INLINE):].split()
            cell.source = inline_modules(paths, repo) + rest
            new = [m for m in inlined_check_modules(paths) if m not in check_modules]
            check_modules += new
            if new:
                helper_cells.append(i)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    secret = not_handed_out([repo / f"{CHECKS_PREFIX}{m}.py" for m in check_modules])
    if secret:  # the grader's reference is the answer here: precomputed data instead (precompute.py)
        hand_out(nb, helper_cells, secret)
    nb.metadata[METADATA_KEY] = {"check_modules": check_modules}
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n")


def generate_student_version(name: str, root: Path) -> None:
    """nbgrader's generate_assignment (no gradebook) from root/solutions into root/assignments, with
    the course's own nbgrader settings (nbgrader_settings.py).

    nbgrader's `--force` deletes the release folder before it writes the new one, so a failure would
    lose the committed student notebook: it runs in a scratch course instead, and its output replaces
    the release files only once it has succeeded."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    with tempfile.TemporaryDirectory(prefix="generate-") as tmp:
        scratch = Path(tmp)
        shutil.copytree(root / SOURCE_DIR / name, scratch / SOURCE_DIR / name, ignore=shutil.ignore_patterns(*IGNORE))
        config = Config()
        configure(config, scratch)
        config.CourseDirectory.assignment_id = name
        config.SaveCells.enabled = False
        config.GenerateAssignment.no_database = True
        config.BaseConverter.force = True
        # The student version must not print nbgrader's progress into our build output.
        logging.getLogger("traitlets").setLevel(logging.WARNING)
        coursedir = CourseDirectory(config=config)
        GenerateAssignment(coursedir=coursedir, config=config).start()
        produced = scratch / RELEASE_DIR / name
        if not (produced / f"{name}.ipynb").is_file():
            raise RuntimeError(f"nbgrader generate_assignment {name} wrote no student notebook")
        for path in sorted(p for p in produced.rglob("*") if p.is_file()):
            target = root / RELEASE_DIR / name / path.relative_to(produced)
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = target.with_name(f".{target.name}.new")
            shutil.copyfile(path, staged)
            os.replace(staged, target)


def build(root: Path = REPO, names: Optional[list[str]] = None, repo: Path = REPO) -> list[Path]:
    """Regenerate the source notebooks and the student notebooks under `root`; return what was written."""
    course = Course(root)
    written = []
    for name in names or assignments(root):
        nb = source_to_notebook(course.source_script(name), repo)
        target = course.source_notebook(name)
        write_notebook(nb, target)
        generate_student_version(name, root)
        student = course.release_notebook(name)
        # nbgrader writes without a final newline and with its own ordering; normalise once.
        write_notebook(nbformat.read(student, as_version=4), student)
        written += [target, student]
    return written
