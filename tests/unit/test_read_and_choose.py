"""Reading a submitted file and choosing which file is the submission (one rule for local and Dask)."""

import json
import os

import pytest

from autograder.submission.choose import NOT_A_FOLDER, choose_notebook
from autograder.submission.read import MAX_NOTEBOOK_BYTES, SubmissionError, parse_submission, read_submission


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty file"), (b"  \n", "empty file"), (b"\x00\x01binary", "binary file"),
    (b"\xff\xfe{", "not UTF-8"), (b'{"cells": [', "invalid notebook JSON"), (b"[1, 2]", "no cells"),
    (b'{"cells": 3}', "no cells"), (b'{"nbformat": 5, "cells": []}', "unsupported notebook format 5"),
    (b"[" * 100000, "nested too deep"),
])
def test_bad_bytes_get_one_short_reason(raw, reason):
    with pytest.raises(SubmissionError, match=reason):
        parse_submission(raw)


def test_a_notebook_with_a_byte_order_mark_reads():
    assert parse_submission(b"\xef\xbb\xbf" + json.dumps({"nbformat": 4, "cells": []}).encode())["cells"] == []


def test_files_that_are_not_regular_or_too_large_are_refused_unread(tmp_path):
    big = tmp_path / "big.ipynb"
    with open(big, "wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)
    with pytest.raises(SubmissionError, match="file too large"):
        read_submission(big)
    with pytest.raises(SubmissionError, match="not a regular file"):
        read_submission(tmp_path)
    (tmp_path / "link.ipynb").symlink_to(big)
    with pytest.raises(SubmissionError, match="not a regular file"):
        read_submission(tmp_path / "link.ipynb")


def make(folder, files):
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_text(data)
    return folder


def test_choice_exact_renamed_none_or_ambiguous(tmp_path):
    exact = make(tmp_path / "exact", {"adam.ipynb": "{}", "other.ipynb": "{}"})
    assert choose_notebook(exact, "adam.ipynb").path == exact / "adam.ipynb"
    renamed = choose_notebook(make(tmp_path / "renamed", {"Copy of adam.ipynb": "{}", ".hidden.ipynb": "{}"}),
                              "adam.ipynb")
    assert renamed.path.name == "Copy of adam.ipynb" and "renamed notebook Copy of adam.ipynb" in renamed.note
    assert choose_notebook(make(tmp_path / "none", {"x.txt": ""}), "adam.ipynb").note == \
        "no notebook (expected adam.ipynb)"
    two = choose_notebook(make(tmp_path / "two", {"a.ipynb": "", "b.ipynb": ""}), "adam.ipynb")
    assert two.path is None and two.note == "2 notebooks and none named adam.ipynb"
    (tmp_path / "file").write_text("x")
    assert choose_notebook(tmp_path / "file", "adam.ipynb").note == NOT_A_FOLDER
    assert choose_notebook(tmp_path / "missing", "adam.ipynb").note == NOT_A_FOLDER


def test_links_are_never_chosen(tmp_path):
    secret = make(tmp_path / "solutions", {"adam.ipynb": "{}"})
    linked = tmp_path / "submitted" / "mallory" / "adam"
    linked.mkdir(parents=True)
    (linked / "adam.ipynb").symlink_to(secret / "adam.ipynb")
    assert choose_notebook(linked, "adam.ipynb").note == "adam.ipynb is a symbolic link (not graded)"
    os.remove(linked / "adam.ipynb")
    (linked / "mine.ipynb").symlink_to(secret / "adam.ipynb")  # the only notebook, but a link: not a candidate
    assert choose_notebook(linked, "adam.ipynb").path is None
    folder_link = tmp_path / "submitted" / "eve" / "adam"
    folder_link.parent.mkdir()
    folder_link.symlink_to(secret)
    assert choose_notebook(folder_link, "adam.ipynb").note == "submission folder is a symbolic link (not graded)"
    student_link = tmp_path / "submitted" / "trudy"
    student_link.symlink_to(tmp_path / "submitted" / "mallory")
    assert choose_notebook(student_link / "adam", "adam.ipynb").path is None
