"""Generate every notebook from its one source: `solutions/<a>/<a>.py` (jupytext percent format).

    solutions/<a>/<a>.py  --inline shared modules-->  solutions/<a>/<a>.ipynb  (nbgrader source)
                          --nbgrader generate_assignment-->  assignments/<a>/<a>.ipynb (student version)

A code cell whose first line is `# inline: path [path ...]` receives those modules' source, so a
student notebook needs nothing beyond what Colab ships (torch, numpy, plotly).
"""

import ast
import json
import logging
from pathlib import Path
from typing import Iterable, Optional

import jupytext
import nbformat

from .paths import REPO

INLINE = "# inline: "
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def assignments(root: Path = REPO) -> list[str]:
    """Names of the assignments: every `solutions/<a>/<a>.py`."""
    return sorted(p.parent.name for p in (root / "solutions").glob("*/*.py") if p.stem == p.parent.name)


def inline_modules(paths: Iterable[str], repo: Path = REPO) -> str:
    """The modules' source, concatenated, without their package-relative imports."""
    parts = []
    for rel in paths:
        source = (repo / rel).read_text()
        drop: set[int] = set()
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                drop.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        lines = [line for i, line in enumerate(source.splitlines(), start=1) if i not in drop]
        parts.append(f"# ---- {rel} ----\n" + "\n".join(lines).strip() + "\n")
    header = (f"# Generated from {', '.join(paths)} by `python -m autograder build`. Do not edit:\n"
              "# the autograder restores this cell.\n")
    return header + "\n\n".join(parts)


def source_to_notebook(path: Path, repo: Path = REPO) -> nbformat.NotebookNode:
    """Read a jupytext source and return the nbgrader source notebook, deterministic to the byte."""
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata = json.loads(json.dumps(NOTEBOOK_METADATA))
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith(INLINE):
            first, _, rest = cell.source.partition("\n")
            cell.source = inline_modules(first[len(INLINE):].split(), repo) + rest
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n")


def generate_student_version(name: str, root: Path) -> None:
    """nbgrader's generate_assignment (no gradebook) from root/solutions into root/assignments."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "solutions"
    config.CourseDirectory.release_directory = "assignments"
    config.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.py"]
    config.CourseDirectory.assignment_id = name
    config.SaveCells.enabled = False
    config.GenerateAssignment.no_database = True
    config.BaseConverter.force = True
    # The student version must not print nbgrader's progress into our build output.
    logging.getLogger("traitlets").setLevel(logging.WARNING)
    coursedir = CourseDirectory(config=config)
    GenerateAssignment(coursedir=coursedir, config=config).start()


def build(root: Path = REPO, names: Optional[list[str]] = None, repo: Path = REPO) -> list[Path]:
    """Regenerate the source notebooks and the student notebooks under `root`; return what was written."""
    written = []
    for name in names or assignments(root):
        nb = source_to_notebook(root / "solutions" / name / f"{name}.py", repo)
        target = root / "solutions" / name / f"{name}.ipynb"
        write_notebook(nb, target)
        generate_student_version(name, root)
        student = root / "assignments" / name / f"{name}.ipynb"
        # nbgrader writes without a final newline and with its own ordering; normalise once.
        write_notebook(nbformat.read(student, as_version=4), student)
        written += [target, student]
    return written
