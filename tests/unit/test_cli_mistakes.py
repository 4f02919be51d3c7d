"""Every mistake on the command line: one line naming it (and the valid choices), a non-zero exit, and
nothing created in the course folder."""

import json

import pytest

from autograder import cli
from autograder.paths import THIS_REPO


def _run(argv, capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    err = capsys.readouterr().err
    return stop.value.code, err


def _course(tmp_path, students=("ann",), assignment="adam"):
    for student in students:
        folder = tmp_path / "submitted" / student / assignment
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text(json.dumps({"cells": []}))
    return tmp_path


@pytest.mark.parametrize("argv, says", [
    (["grade", "adm"], "no assignment 'adm': choose one of adam, autograd"),
    (["grade", "adam", "--student", "zed"], "no submission of adam by zed: students with one are ann"),
    (["grade", "adam", "--workers", "0"], "--workers 0: give 1 or more"),
    (["grade", "adam", "--scheduler", "tcp://x:1", "--jobqueue", "local"], "give --scheduler or --jobqueue, not both"),
    (["grade", "adam", "--feedback", "all"], "invalid choice: 'all' (choose from"),
    (["check", "adm"], "invalid choice: 'adm' (choose from 'adam'"),
    (["frobnicate"], "invalid choice: 'frobnicate' (choose from 'build'"),
])
def test_a_mistake_is_one_line_with_the_choices(tmp_path, capsys, argv, says):
    course = _course(tmp_path)
    if argv[0] == "grade":
        argv = [*argv, "--course", str(course)]
    code, err = _run(argv, capsys)
    assert code == 2
    assert says in err and err.count("\n") == 1, err
    assert not (course / "gradebook.db").exists() and not (course / "grades.csv").exists()


def test_a_missing_course_folder(tmp_path, capsys):
    code, err = _run(["grade", "adam", "--course", str(tmp_path / "nowhere")], capsys)
    assert code == 2 and "no course folder" in err and err.count("\n") == 1
    assert not (tmp_path / "nowhere").exists()


def test_a_course_without_submissions(tmp_path, capsys):
    code, err = _run(["grade", "adam", "--course", str(tmp_path)], capsys)
    assert code == 2 and "no submitted/ folder" in err and err.count("\n") == 1
    _course(tmp_path, assignment="momentum")
    code, err = _run(["grade", "adam", "--course", str(tmp_path)], capsys)
    assert code == 2 and "no submissions of adam" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["submitted"]  # no gradebook.db left behind


def test_build_names_the_assignments_it_knows(capsys):
    assert cli.main(["build", "adm"]) == 2
    err = capsys.readouterr().err
    assert "adm" in err and all(a in err for a in THIS_REPO.assignments()) and err.count("\n") == 1
