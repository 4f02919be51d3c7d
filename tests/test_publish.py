"""`python -m autograder publish DIR`: the public student repository holds every student notebook where
the book's Colab links point, the built book, a README, and nothing private; publishing again keeps
the instructor's files; the wrong folder or an old book is refused in one line.

The real publish uses this checkout's built book (`python -m autograder book` first, as CI does);
the refusals and the republish run on a small course made here, so they need no build."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path

import pytest
from book_fixtures import expected_colab_url, student_notebooks
from conftest import REPO, require

from autograder.authoring.book_sources import HTML, record_built_sources, source_digests, stale_book
from autograder.authoring.publish import MANIFEST, publish
from autograder.cli import authoring as authoring_cli
from autograder.cli import main

COLAB_GITHUB = re.compile(r'href="(https://colab\.research\.google\.com/github/[^"#?]+)"')
PRIVATE_FOLDERS = {"solutions", "tests", "autograder", "submitted", "autograded", "feedback", "reports",
                   "bench", "scripts", "course", "_build"}
PRIVATE_FILES = {"gradebook.db", "grades.csv", "nbgrader_config.py", "pyproject.toml", "requirements.txt"}
MIN_SECRET = 30  # characters: shorter lines (`return loss`, `import torch`) prove nothing


# ---- the real publish, from this checkout's built book -------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(stale_book(REPO) is None, f"a current build of the book ({stale_book(REPO)})")
    dest = tmp_path_factory.mktemp("public") / "course-public"
    publish(dest, REPO)
    return dest


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_every_student_notebook_is_where_the_colab_links_point(published: Path) -> None:
    """The links are read from the published book itself (chapters' {colab} links and the notebook
    pages' launch buttons) and from the README; each names the configured public repository and a
    file of DIR that is the student notebook as committed."""
    prefix = expected_colab_url("")  # .../github/ORG/REPO/blob/BRANCH/ (computed from _config.yml)
    linked: dict[str, set[str]] = {}
    for page in [*(published / "docs").rglob("*.html"), published / "README.md"]:
        for url in COLAB_GITHUB.findall(page.read_text()) + re.findall(r"\((https://colab[^)]+)\)",
                                                                       page.read_text()):
            assert url.startswith(prefix), f"{page.relative_to(published)}: {url} is not {prefix}..."
            linked.setdefault(url.removeprefix(prefix), set()).add(page.relative_to(published).as_posix())
    assert set(linked) == set(student_notebooks()), "every student notebook is linked, nothing else"
    for notebook, pages in linked.items():
        assert (published / notebook).read_bytes() == (REPO / notebook).read_bytes(), (notebook, pages)
        name = Path(notebook).stem
        launch_button, chapter = f"docs/{notebook.removesuffix('.ipynb')}.html", f"docs/book/{name}.html"
        assert {"README.md", launch_button, chapter} <= pages, (notebook, pages)


def test_the_book_and_the_readme_are_there(published: Path) -> None:
    assert (published / "docs" / "index.html").is_file()
    assert (published / "docs" / "book" / "adam.html").is_file()
    assert (published / "docs" / ".nojekyll").is_file(), "GitHub Pages would drop _static/"
    assert len(list((published / "docs" / "_static").rglob("*"))) > 10
    readme = (published / "README.md").read_text()
    assert "github.io" in readme and "Save a copy in Drive" in readme
    assert json.loads((published / MANIFEST).read_text())["files"] == \
        sorted(p.relative_to(published).as_posix() for p in _files(published) if p.name != MANIFEST)


def test_nothing_private_is_published(published: Path) -> None:
    files = _files(published)
    for path in files:
        rel = path.relative_to(published)
        assert rel.parts[0] not in PRIVATE_FOLDERS and rel.name not in PRIVATE_FILES, rel
        assert path.suffix != ".py", rel
    private = {p.read_bytes() for top in ("solutions", "tests") for p in _files(REPO / top)
               if p.stat().st_size > 64}  # not an empty __init__.py, which .nojekyll would equal
    assert not [p for p in files if p.read_bytes() in private], "a file of solutions/ or tests/ was copied"


def _secrets() -> dict[str, set[str]]:
    """Per source notebook, its lines that students must never see: inside nbgrader's solution and
    hidden-test regions, and the hand-graded model answers (markdown cells with a solution), at
    least MIN_SECRET characters long and not also within a line of the notebook's public part."""
    out = {}
    for source in sorted((REPO / "solutions").glob("*/*.ipynb")):
        secret, public = set(), set()
        for cell in json.loads(source.read_text())["cells"]:
            model_answer = cell["cell_type"] == "markdown" and \
                cell.get("metadata", {}).get("nbgrader", {}).get("solution")
            inside = False
            for line in "".join(cell["source"]).splitlines():
                if re.search(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)", line):
                    inside = "BEGIN" in line
                    continue
                (secret if inside or model_answer else public).add(line.strip())
        # a hidden test's call of a helper the notebook defines is no secret: the definition is public
        out[source.stem] = {s for s in secret - public
                            if len(s) >= MIN_SECRET and not any(s in p for p in public)}
    return out


def _readable_text(path: Path) -> str | None:
    """What a reader of the file sees: an HTML page without its tags (highlighted code is split into
    spans), a notebook's cell sources, any other text file as it is; None for binary files."""
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        return None
    if path.suffix == ".html":
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
    elif path.suffix == ".ipynb":
        text = "\n".join("".join(c.get("source", "")) for c in json.loads(text).get("cells", []))
    return "\n".join(line.strip() for line in text.splitlines())


def test_no_solution_hidden_test_or_model_answer_is_published(published: Path) -> None:
    secrets = _secrets()
    assert set(secrets) == {Path(n).stem for n in student_notebooks()}
    assert all(secrets.values()), "a source without solution lines: this test would prove nothing"
    texts = {p: t for p in _files(published) if (t := _readable_text(p)) is not None}
    assert published / "assignments" / "adam" / "adam.ipynb" in texts
    for path, text in texts.items():
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        for name, lines in secrets.items():
            leaked = [s for s in lines if s in text]
            assert not leaked, f"{path.relative_to(published)} shows {name}'s {leaked[:2]}"


def test_the_command_publishes_and_says_what_to_push(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    require(stale_book(REPO) is None, f"a current build of the book ({stale_book(REPO)})")
    assert main(["publish", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"published {len(student_notebooks())} student notebooks and the book" in out
    assert "git push" in out and "/docs" in out


# ---- a small course made here: republishing and refusals -----------------------------------------

@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course with two student notebooks and a "built" book whose sources are recorded."""
    root = tmp_path / "course"
    (root / "book").mkdir(parents=True)
    (root / "_config.yml").write_text((REPO / "_config.yml").read_text())
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/index\nchapters:\n"
                                   "  - file: book/a\n    sections:\n      - file: assignments/a/a\n"
                                   "  - file: book/old\n    sections:\n      - file: assignments/old/old\n")
    (root / "book" / "index.md").write_text("# A course\n\nWhat it is.\n")
    for name in ("a", "old"):
        (root / "book" / f"{name}.md").write_text(f"# Chapter {name}\n")
        notebook = root / "assignments" / name / f"{name}.ipynb"
        notebook.parent.mkdir(parents=True)
        notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (root / HTML).mkdir(parents=True)
    (root / HTML / "index.html").write_text("<p>the book</p>")
    _built(root)
    return root


def _built(root: Path) -> None:
    """What a successful `python -m autograder book` leaves: the digests of the sources it read."""
    record_built_sources(root, source_digests(root))


def test_republishing_keeps_the_instructors_files_and_removes_stale_ones(course: Path, tmp_path: Path) -> None:
    dest = tmp_path / "public"
    publish(dest, course)
    assert (dest / "assignments" / "old" / "old.ipynb").is_file()
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "CNAME").write_text("course.example.org\n")
    (dest / "docs" / "CNAME").write_text("course.example.org\n")  # where Pages keeps it for /docs
    # the "old" assignment is renamed: its notebook must leave the public repository
    (course / "assignments" / "old" / "old.ipynb").rename(course / "assignments" / "old" / "new.ipynb")
    (course / "_toc.yml").write_text((course / "_toc.yml").read_text().replace("old/old", "old/new"))
    _built(course)

    done = publish(dest, course)
    assert (dest / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (dest / "CNAME").is_file() and (dest / "docs" / "CNAME").is_file()
    assert not (dest / "assignments" / "old" / "old.ipynb").exists()
    assert (dest / "assignments" / "old" / "new.ipynb").is_file()
    assert done.removed == ["assignments/old/old.ipynb"]
    assert "CNAME" not in json.loads((dest / MANIFEST).read_text())["files"]


def _refused(dest: Path, capsys: pytest.CaptureFixture) -> str:
    code = main(["publish", str(dest)])
    out, err = capsys.readouterr()
    assert code != 0 and not out, (code, out)
    assert err.count("\n") == 1 and err.startswith("publish: refused: "), err
    return err


@pytest.fixture
def cli_course(course: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line, publishing the small course instead of this repository."""
    monkeypatch.setattr(authoring_cli, "REPO", course)
    return course


def test_refuses_a_folder_inside_the_repository(cli_course: Path, capsys: pytest.CaptureFixture) -> None:
    assert "inside this repository" in _refused(cli_course / "public", capsys)
    assert not (cli_course / "public").exists()
    assert "inside this repository" in _refused(cli_course, capsys)


def test_refuses_a_folder_it_did_not_write(cli_course: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "thesis.tex").write_text("my work")
    assert "not empty" in _refused(dest, capsys)
    assert [p.name for p in dest.iterdir()] == ["thesis.tex"]
    (dest / "thesis.tex").unlink()
    (dest / ".git").mkdir()  # a fresh clone of the empty public repository is welcome
    assert main(["publish", str(dest)]) == 0


def test_refuses_an_unbuilt_or_stale_book(cli_course: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    dest = tmp_path / "public"
    (cli_course / "_build" / "book-sources.json").unlink()  # never built, or the last build failed
    assert "python -m autograder book" in _refused(dest, capsys)
    _built(cli_course)
    notebook = cli_course / "assignments" / "a" / "a.ipynb"
    notebook.write_text(notebook.read_text().replace('"cells": []', '"cells": [] '))
    assert "assignments/a/a.ipynb changed after the book was built" in _refused(dest, capsys)
    assert not dest.exists()


def test_refuses_a_source_notebook(cli_course: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A source notebook copied over a student notebook is caught even with a current book."""
    notebook = cli_course / "assignments" / "a" / "a.ipynb"
    notebook.write_text(notebook.read_text().replace('"cells": []', '"cells": ["### BEGIN SOLUTION"]'))
    _built(cli_course)
    assert "assignments/a/a.ipynb would hold a solution" in _refused(tmp_path / "public", capsys)
    assert not (tmp_path / "public").exists()
