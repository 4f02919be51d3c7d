"""Every assignment: generated files in sync, no outputs, no solution or hidden test leaks out."""

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, require

from autograder import cells
from autograder.authoring.build import assignments, build
from autograder.paths import THIS_REPO, Course

ASSIGNMENTS = assignments(REPO)


def test_every_chapter_has_an_assignment():
    assert ASSIGNMENTS, "no solutions/<a>/<a>.py found"
    assert "adam" in ASSIGNMENTS


def _notebook(course: Course, kind: str, name: str) -> Path:
    return course.source_notebook(name) if kind == "solutions" else course.release_notebook(name)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A regeneration of every notebook from the sources, in a scratch course directory."""
    root = tmp_path_factory.mktemp("regenerated")
    for name in ASSIGNMENTS:
        target = Course(root).source_script(name)
        target.parent.mkdir(parents=True)
        shutil.copy(THIS_REPO.source_script(name), target)
    build(root, ASSIGNMENTS, repo=REPO)
    return root


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["solutions", "assignments"])
def test_committed_notebook_equals_regeneration(fresh, name, kind):
    committed, regenerated = (_notebook(Course(root), kind, name) for root in (REPO, fresh))
    assert committed.is_file(), f"{committed} is missing: run `python -m autograder build`"
    assert committed.read_bytes() == regenerated.read_bytes(), (
        f"{committed.relative_to(REPO)} is stale: run `python -m autograder build {name}` and commit")


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["solutions", "assignments"])
def test_notebooks_hold_no_outputs(name, kind):
    nb = json.loads(_notebook(THIS_REPO, kind, name).read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell.get("id")


def _secret_and_public_lines(name: str) -> tuple[set[str], set[str]]:
    """Lines of solutions and hidden tests, and lines anyone may see (the rest of the source)."""
    nb = json.loads(THIS_REPO.source_notebook(name).read_text())
    secret, public = set(), set()
    for cell in nb["cells"]:
        meta = cells.nbgrader(cell)
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
    nb = json.loads(THIS_REPO.release_notebook(name).read_text())
    text = "\n".join(line.strip() for cell in nb["cells"] for line in "".join(cell["source"]).splitlines())
    leaked = sorted(s for s in secret if s in text)
    assert not leaked, f"assignments/{name} leaks: {leaked[:5]}"
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text


def _book_needles(name: str) -> set[str]:
    """What would prove a leak in a page: a long secret line, or three secret lines in a row.

    A book page may well say `with torch.no_grad():` (an idiom a solution also uses); it must not
    show a solution's or a hidden test's specific line, or a stretch of its code.
    """
    secret, public = _secret_and_public_lines(name)
    nb = json.loads(THIS_REPO.source_notebook(name).read_text())
    needles = {s for s in secret if len(s) >= 40}
    for cell in nb["cells"]:
        lines = [line.strip() for line in "".join(cell["source"]).splitlines()]
        run = [t for t in lines if t and t not in public]
        for i in range(len(run) - 2):
            window = run[i:i + 3]
            if sum(w in secret for w in window) == 3:
                needles.add("\n".join(window))
    return needles


def test_built_book_holds_no_solution_or_hidden_test():
    import html as html_lib

    html_dir = REPO / "_build" / "html"
    require(html_dir.is_dir(), "the built book (_build/html: run scripts/build)")
    files = [p for p in html_dir.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".md", ".txt", ".py")]
    assert files
    pages = {}
    for path in files:
        text = path.read_text(errors="replace")
        if path.suffix == ".html":
            text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
        elif path.suffix == ".ipynb":
            text = "\n".join("".join(c.get("source", "")) for c in json.loads(text).get("cells", []))
        pages[path] = "\n".join(t for t in (line.strip() for line in text.splitlines()) if t)
    for name in ASSIGNMENTS:
        needles = _book_needles(name)
        assert needles, f"{name}: nothing to look for"
        for path, text in pages.items():
            leaked = [n for n in needles if n in text]
            assert not leaked, f"{path.relative_to(REPO)} leaks {name}: {leaked[:2]}"


def _not_handed_out_lines() -> dict[str, set[str]]:
    """{function: its code lines}, for every function a check module declares `<NAME>_NOT_HANDED_OUT`."""
    import ast

    from autograder.authoring.precompute import not_handed_out

    out, elsewhere = {}, set()  # elsewhere: lines of the checks' other code (idioms they share)
    for path in sorted((REPO / "autograder" / "checks").glob("*.py")):
        source = path.read_text()
        names = not_handed_out([path])
        for node in ast.parse(source).body:
            segment = ast.get_source_segment(source, node) or ""
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                body = node.body[1:] if ast.get_docstring(node) else node.body
                text = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in body)
                out[node.name] = {line.strip() for line in text.splitlines() if len(line.strip()) >= 30}
            else:
                elsewhere |= {line.strip() for line in segment.splitlines()}
    for path in sorted((REPO / "course").glob("*.py")):  # the course code students get anyway
        elsewhere |= {line.strip() for line in path.read_text().splitlines()}
    return {name: code - elsewhere for name, code in out.items()}


def test_no_student_notebook_or_page_holds_the_graders_own_answers():
    """Where the grader's reference does what students write (symmetry), neither a student notebook nor
    the built book holds its code: the notebooks carry stubs and the visible tests' precomputed data."""
    lines = _not_handed_out_lines()
    assert "_sym_constant_mlp" in lines and sum(map(len, lines.values())) > 20
    texts = {p: p.read_text() for p in sorted((REPO / "assignments").glob("*/*.ipynb"))}
    html_dir = REPO / "_build" / "html"
    if html_dir.is_dir():
        texts.update({p: p.read_text(errors="replace") for p in html_dir.rglob("*")
                      if p.is_file() and p.suffix in (".html", ".ipynb")})
    for path, text in texts.items():
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c.get("source", "")) for c in json.loads(text)["cells"])
        found = {name: sorted(line for line in code if line in text) for name, code in lines.items()}
        found = {name: hits for name, hits in found.items() if hits}
        assert not found, f"{path.relative_to(REPO)} holds the grader's reference code: {found}"
