"""Every assignment: generated files in sync, no outputs, no solution or hidden test leaks out."""

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, require

from autograder.build import assignments, build

ASSIGNMENTS = assignments(REPO)


def test_every_chapter_has_an_assignment():
    assert ASSIGNMENTS, "no solutions/<a>/<a>.py found"
    assert "adam" in ASSIGNMENTS


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A regeneration of every notebook from the sources, in a scratch course directory."""
    root = tmp_path_factory.mktemp("regenerated")
    for name in ASSIGNMENTS:
        target = root / "solutions" / name
        target.mkdir(parents=True)
        shutil.copy(REPO / "solutions" / name / f"{name}.py", target / f"{name}.py")
    build(root, ASSIGNMENTS, repo=REPO)
    return root


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["solutions", "assignments"])
def test_committed_notebook_equals_regeneration(fresh, name, kind):
    committed = REPO / kind / name / f"{name}.ipynb"
    regenerated = fresh / kind / name / f"{name}.ipynb"
    assert committed.is_file(), f"{committed} is missing: run `python -m autograder build`"
    assert committed.read_bytes() == regenerated.read_bytes(), (
        f"{committed.relative_to(REPO)} is stale: run `python -m autograder build {name}` and commit")


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["solutions", "assignments"])
def test_notebooks_hold_no_outputs(name, kind):
    nb = json.loads((REPO / kind / name / f"{name}.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell.get("id")


def _secret_and_public_lines(name: str) -> tuple[set[str], set[str]]:
    """Lines of solutions and hidden tests, and lines anyone may see (the rest of the source)."""
    nb = json.loads((REPO / "solutions" / name / f"{name}.ipynb").read_text())
    secret, public = set(), set()
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        whole_cell_secret = meta.get("solution") and cell["cell_type"] == "markdown"
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if re.search(r"### BEGIN (SOLUTION|HIDDEN TESTS)", line):
                inside = True
                continue
            if re.search(r"### END (SOLUTION|HIDDEN TESTS)", line):
                inside = False
                continue
            text = line.strip()
            (secret if inside or whole_cell_secret else public).add(text)
    # a line that also stands in a public part (`return loss`, the start of a visible call) is no secret
    secret = {s for s in secret - public if len(s) >= 16 and not s.startswith("#")}
    secret = {s for s in secret if not any(s in p for p in public)}
    return secret, public


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_holds_no_solution_or_hidden_test(name):
    secret, _ = _secret_and_public_lines(name)
    assert secret, "the source has no solution: the leak test would prove nothing"
    nb = json.loads((REPO / "assignments" / name / f"{name}.ipynb").read_text())
    text = "\n".join(line.strip() for cell in nb["cells"] for line in "".join(cell["source"]).splitlines())
    leaked = sorted(s for s in secret if s in text)
    assert not leaked, f"assignments/{name} leaks: {leaked[:5]}"
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text


def test_built_book_holds_no_solution_or_hidden_test():
    html_dir = REPO / "_build" / "html"
    require(html_dir.is_dir(), "the built book (_build/html: run scripts/build)")
    pages = {p: p.read_text(errors="replace") for p in html_dir.rglob("*.html")}
    pages.update({p: p.read_text(errors="replace") for p in html_dir.rglob("*.ipynb")})
    sources = list((html_dir / "_sources").rglob("*")) if (html_dir / "_sources").is_dir() else []
    pages.update({p: p.read_text(errors="replace") for p in sources if p.is_file()})
    assert pages
    import html as html_lib

    for name in ASSIGNMENTS:
        secret, _ = _secret_and_public_lines(name)
        for path, text in pages.items():
            plain = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
            plain = "\n".join(line.strip() for line in plain.splitlines())
            leaked = [s for s in secret if s in plain or s in text]
            assert not leaked, f"{path.relative_to(REPO)} leaks {name}: {leaked[:3]}"


def test_nbgrader_itself_generates_the_committed_student_notebook(tmp_path):
    """The repo root is an nbgrader course: its config makes `nbgrader generate_assignment` agree with us."""
    import subprocess
    import sys

    shutil.copy(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(REPO / "solutions" / "adam", tmp_path / "solutions" / "adam")
    nbgrader = Path(sys.executable).parent / "nbgrader"
    run = subprocess.run([str(nbgrader), "generate_assignment", "adam", "--no-db", "--force"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    released = sorted(p.name for p in (tmp_path / "assignments" / "adam").iterdir())
    assert released == ["adam.ipynb"], f"the release must hold only the student notebook, not {released}"
    generated = (tmp_path / "assignments/adam/adam.ipynb").read_bytes()
    assert generated == (REPO / "assignments/adam/adam.ipynb").read_bytes()
