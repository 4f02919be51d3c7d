"""Notebooks whose nbgrader metadata an editor dropped: answers found by content and order where
that is unambiguous, a flag for a person otherwise, and a written answer never counted as blank."""

import copy
import json

import pytest

from autograder.authoring.variants import answered_notebook, solution_answers
from autograder.paths import THIS_REPO
from autograder.results import is_blank_answer
from autograder.submission.align import UNMATCHED_FLAG, restore_metadata
from autograder.submission.program import build_program


def _notebooks(assignment: str) -> tuple[dict, dict]:
    source = json.loads(THIS_REPO.source_notebook(assignment).read_text())
    release = json.loads(THIS_REPO.release_notebook(assignment).read_text())
    return source, answered_notebook(copy.deepcopy(release), solution_answers(source))


def _stripped(nb: dict) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["metadata"].pop("nbgrader", None)
    return nb


def _index(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.parametrize("assignment", THIS_REPO.assignments())
def test_stripped_notebook_gets_the_same_answers(assignment):
    source, full = _notebooks(assignment)
    expected = build_program(source, full)
    program = build_program(source, _stripped(full))
    assert program.answers() == expected.answers()
    assert program.manual_answers() == expected.manual_answers()
    assert program.flags == []
    assert len(program.notes) == 1 and program.notes[0].startswith("nbgrader metadata missing")  # nothing deleted


def test_a_notebook_with_its_metadata_is_left_alone():
    source, full = _notebooks("adam")
    alignment = restore_metadata(source, full)
    assert alignment.submission is full and not alignment.notes and not alignment.flags


def test_a_scratch_cell_beside_an_answer_is_told_apart_by_what_it_defines():
    source, full = _notebooks("adam")
    nb = _stripped(full)
    at = _index(full, "adam-impl")
    nb["cells"].insert(at + 1, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                "source": "opt = torch.optim.Adam([torch.zeros(2)])\nprint(opt)"})
    program = build_program(source, nb)
    assert program.answers()["adam-impl"] == build_program(source, full).answers()["adam-impl"]
    assert program.flags == []


def test_two_cells_that_both_could_be_the_answer_go_to_a_person():
    source, full = _notebooks("adam")
    nb = _stripped(full)
    at = _index(full, "adam-impl")
    first_try = copy.deepcopy(nb["cells"][at])
    nb["cells"].insert(at, first_try)  # two versions of MyAdam, one after the other
    program = build_program(source, nb)
    assert UNMATCHED_FLAG in program.flags
    assert any("could not tell which answers adam-impl" in n for n in program.notes)
    assert "NotImplementedError" in program.answers()["adam-impl"]  # not guessed: its tests fail


def test_a_written_answer_that_cannot_be_placed_still_reaches_a_person():
    source, full = _notebooks("adam")
    nb = _stripped(full)
    at = _index(full, "compare-answer")
    nb["cells"].insert(at + 1, {"cell_type": "markdown", "metadata": {}, "source": "And a second paragraph."})
    nb["cells"].insert(at + 2, {"cell_type": "markdown", "metadata": {}, "source": "A third, after it."})
    program = build_program(source, nb)
    answer = program.manual_answers()["compare-answer"]
    assert not is_blank_answer(answer)
    assert "second paragraph" in answer and "third" in answer
    assert UNMATCHED_FLAG in program.flags


def test_a_stripped_blank_notebook_is_still_blank():
    source, _ = _notebooks("adam")
    release = json.loads(THIS_REPO.release_notebook("adam").read_text())
    program = build_program(source, _stripped(release))
    assert all(is_blank_answer(a) for a in program.manual_answers().values())
    assert all("NotImplementedError" in a for a in program.answers().values())
    assert program.flags == []
