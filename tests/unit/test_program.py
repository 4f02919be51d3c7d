"""The program of cells: the student's answers in the trusted source notebook (in memory)."""

import pytest

from autograder.submission.program import build_program, check_modules, source_cells, visible_part


def cell(grade_id, source, kind="code", **meta):
    nb = {"grade_id": grade_id, "schema_version": 3, **meta}
    return {"cell_type": kind, "metadata": {"nbgrader": nb}, "source": source}


SOURCE = {
    "metadata": {"autograder": {"check_modules": ["optimizers"]}},
    "cells": [
        cell("setup-imports", "import torch", locked=True),
        cell("impl", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", solution=True),
        cell("visible", "check(f)", grade=True, locked=True, points=2),
        cell("hidden", "# checks more\n### BEGIN HIDDEN TESTS\ncheck_more(f)\n### END HIDDEN TESTS", grade=True,
             locked=True, points=3),
        cell("answer", "YOUR ANSWER HERE", kind="markdown", grade=True, solution=True, points=4),
        {"cell_type": "markdown", "metadata": {}, "source": "plain text"},
    ],
}
SOURCE["cells"][2]["metadata"]["title"] = "f: the visible test"


def student(**answers):
    """The student version: visible test as released (hidden part stripped), answers filled in."""
    cells = [
        cell("setup-imports", "import torch", locked=True),
        cell("impl", answers.get("impl", "def f():\n    raise NotImplementedError()"), solution=True),
        cell("visible", answers.get("visible", "check(f)"), grade=True, locked=True, points=2),
        cell("hidden", "# checks more\n", grade=True, locked=True, points=3),
        cell("answer", answers.get("answer", "YOUR ANSWER HERE"), kind="markdown", grade=True, solution=True,
             points=4),
    ]
    return {"cells": cells}


def test_answers_come_from_the_submission_and_everything_else_from_the_source():
    program = build_program(SOURCE, student(impl="def f():\n    return 1", visible="pass  # tests removed"))
    kinds = [(c.grade_id, c.kind) for c in program.cells]
    assert kinds == [("setup-imports", "setup"), ("impl", "answer"), ("visible", "test"), ("hidden", "test"),
                     ("answer", "manual")]
    assert program.answers() == {"impl": "def f():\n    return 1"}
    assert program.tests()[0].source == "check(f)" and program.tests()[1].hidden
    assert program.notes == ["test cell visible edited (restored)"]
    assert [t.points for t in program.tests()] == [2.0, 3.0]
    assert [t.title for t in program.tests()] == ["f: the visible test", "hidden"]  # metadata title, else grade_id
    assert program.check_modules == ["optimizers"]


def test_deleted_duplicated_missing_and_stray_cells_are_noted():
    sub = student()
    sub["cells"] = [c for c in sub["cells"] if c["metadata"]["nbgrader"]["grade_id"] != "visible"]
    sub["cells"].append(cell("impl", "print('again')", solution=True))
    sub["cells"].append(cell("my-scratch", "x = 1"))
    del sub["cells"][0]["metadata"]["nbgrader"]["schema_version"]
    program = build_program(SOURCE, sub)
    assert [c.grade_id for c in program.cells if c.kind == "answer"] == ["impl", "impl#2"]
    assert "answer cell impl appears 2 times (all run, in order)" in program.notes
    assert "test cell visible deleted (restored)" in program.notes
    assert "unknown nbgrader cells ignored: my-scratch" in program.notes
    assert any("without schema_version in 1 cell(s)" in n for n in program.notes)
    empty = build_program(SOURCE, {"cells": []})
    assert "answer cell impl missing" in empty.notes
    assert "NotImplementedError" in empty.answers()["impl"]


def test_malformed_cells_are_skipped_not_fatal():
    program = build_program(SOURCE, {"cells": ["text", 3, None, {"metadata": "x"}, {"metadata": {"nbgrader": 7}}]})
    assert program.tests() and "answer cell impl missing" in program.notes


def test_visible_part_ignores_hidden_tests_and_blank_lines():
    assert visible_part("a\n\n### BEGIN HIDDEN TESTS\nsecret\n### END HIDDEN TESTS\n  b  \n") == "a\n  b"


def test_source_cells_carry_type_and_title():
    ids = [(g, m["cell_type"], m["title"]) for g, m, _ in source_cells(SOURCE)]
    assert ids[2] == ("visible", "code", "f: the visible test") and ids[4] == ("answer", "markdown", "answer")


def test_check_modules_must_have_been_recorded_by_the_build():
    assert check_modules(SOURCE) == ["optimizers"]
    with pytest.raises(ValueError, match="python -m autograder build"):
        check_modules({"metadata": {}, "cells": []})
