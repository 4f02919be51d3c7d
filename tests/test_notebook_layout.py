"""The notebooks read well: every test cell has a student-facing title and says in its first line what it
checks, the points of each exercise are in its text and match the cells, each hand-graded question shows
its rubric (the model answer stays in solutions/), and the inlined helpers are collapsed, after the
assignment's text."""

import json
import re

import jupytext
import pytest
from conftest import REPO

from autograder.authoring.build import assignments

ASSIGNMENTS = assignments(REPO)


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    return bool(cell["cell_type"] == "code" and _nbgrader(cell).get("grade") and not _nbgrader(cell).get("solution"))


def _notebook(kind: str, name: str) -> dict:
    return json.loads((REPO / kind / name / f"{name}.ipynb").read_text())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_test_cell_has_a_unique_title_in_source_and_student_notebook(name):
    """jupytext reads `title="..."` on the marker line into the cell's metadata, and nbgrader's
    generate_assignment keeps it in the student notebook (feedback lists failed tests by it)."""
    source = jupytext.read(REPO / "solutions" / name / f"{name}.py", fmt="py:percent")
    titles = {_nbgrader(c)["grade_id"]: c.metadata.get("title", "") for c in source.cells if _is_test(c)}
    assert titles and all(t.strip() for t in titles.values()), titles
    assert len(set(titles.values())) == len(titles), "two test cells share a title"
    for kind in ("solutions", "assignments"):
        nb = _notebook(kind, name)
        assert {_nbgrader(c)["grade_id"]: c["metadata"].get("title") for c in nb["cells"] if _is_test(c)} == titles


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_test_cell_says_in_its_first_line_what_it_checks(name):
    """In the student notebook a test cell starts with a comment; a cell of hidden tests only is nothing
    but that comment (it does not show their source)."""
    for cell in _notebook("assignments", name)["cells"]:
        if not _is_test(cell):
            continue
        lines = _source(cell).strip().splitlines()
        assert lines and re.match(r"# \S", lines[0]), (_nbgrader(cell)["grade_id"], lines[:1])
    for cell in _notebook("solutions", name)["cells"]:
        if _is_test(cell) and _source(cell).lstrip().startswith("#") and "BEGIN HIDDEN TESTS" in _source(cell):
            before = _source(cell).split("### BEGIN HIDDEN TESTS")[0]
            assert before.strip(), _nbgrader(cell)["grade_id"]


def _sections(nb: dict) -> list[tuple[dict, list[dict]]]:
    """(heading markdown cell, its test cells) for every "## " section."""
    out: list[tuple[dict, list[dict]]] = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and _source(cell).startswith("## "):
            out.append((cell, []))
        elif _is_test(cell) and out:
            out[-1][1].append(cell)
    return out


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_points_of_each_exercise_are_in_its_text_and_match_its_cells(name):
    nb = _notebook("assignments", name)
    seen = 0
    for heading, tests in _sections(nb):
        if not tests:
            continue
        text = _source(heading)
        total = re.search(r"\*\*Points: (\d+(?:\.\d+)?)\*\*", text)
        assert total, f"{text.splitlines()[0]}: no points"
        assert float(total.group(1)) == sum(_nbgrader(c)["points"] for c in tests)
        rows = dict(re.findall(r"^\| (.+?) \| (\d+(?:\.\d+)?) \|$", text, re.M))
        assert rows == {c["metadata"]["title"]: f"{_nbgrader(c)['points']:g}" for c in tests}
        seen += len(tests)
    assert seen == sum(_is_test(c) for c in nb["cells"]), "a test cell outside every exercise"


def _written_answers(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "markdown" and _nbgrader(c).get("grade")]


WITH_QUESTIONS = [a for a in ASSIGNMENTS if _written_answers(_notebook("solutions", a))]


def test_most_assignments_have_hand_graded_questions():
    assert len(WITH_QUESTIONS) >= 5


@pytest.mark.parametrize("name", WITH_QUESTIONS)
def test_hand_graded_questions_show_a_rubric_and_keep_the_model_answer_private(name):
    student, source = _notebook("assignments", name), _notebook("solutions", name)
    answers = _written_answers(source)
    for answer in answers:
        i = source["cells"].index(answer)
        question = next(_source(c) for c in reversed(source["cells"][:i]) if c["cell_type"] == "markdown"
                        and "graded by hand" in _source(c))
        points = re.search(r"graded by hand, (\d+) points", question)
        assert points and float(points.group(1)) == _nbgrader(answer)["points"]
        rubric = re.search(r"\*Rubric \((\d+) points", question)
        assert rubric and float(rubric.group(1)) == _nbgrader(answer)["points"], question
        assert question in [_source(c) for c in student["cells"]]  # the rubric is in the student notebook
        released = next(c for c in student["cells"] if _nbgrader(c).get("grade_id") == _nbgrader(answer)["grade_id"])
        assert "Notes for graders" in _source(answer) or len(_source(answer)) > 200  # the model answer, here
        assert "Notes for graders" not in _source(released) and _source(answer) not in _source(released)


@pytest.mark.parametrize("name", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["solutions", "assignments"])
def test_inlined_helpers_are_collapsed_after_the_assignment_text(name, kind):
    cells = _notebook(kind, name)["cells"]
    inlined = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and "# Generated from" in _source(c)[:300]]
    assert inlined, "no inlined helpers"
    # Colab shows a collapsed form under its first line's title
    assert all(_source(cells[i]).startswith("# @title ") for i in inlined)
    for i in inlined:
        meta = cells[i]["metadata"]
        assert meta.get("cellView") == "form" and meta.get("jupyter", {}).get("source_hidden") is True, i
    helpers = next(i for i, c in enumerate(cells) if _nbgrader(c).get("grade_id") == "helpers")
    first_text = next(i for i, c in enumerate(cells) if c["cell_type"] == "markdown")
    first_test = next(i for i, c in enumerate(cells) if _is_test(c))
    assert first_text < helpers < first_test
    assert len(_source(cells[first_text]).split()) > 50  # the assignment's text, not only a title
