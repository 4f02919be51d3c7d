"""A submission packed for a Dask worker is graded by the same choice as on this machine: the same
file, the same bytes, the same note, links refused alike."""

import pytest

from autograder.classroom.cluster import pack_submission, unpack_submission
from autograder.submission.choose import choose_notebook
from autograder.submission.read import MAX_NOTEBOOK_BYTES, SubmissionError, read_submission

NAME = "adam.ipynb"


def folder_with(root, name, files, links=()):
    folder = root / name
    folder.mkdir(parents=True)
    for file, data in files.items():
        (folder / file).write_bytes(data)
    for file, target in links:
        (folder / file).symlink_to(target)
    return folder


def test_the_worker_grades_what_local_grading_would(tmp_path):
    secret = folder_with(tmp_path, "solutions", {NAME: b'{"secret": 1}'}) / NAME
    cases = {
        "exact": ({NAME: b'{"cells": []}', "other.ipynb": b"x", "notes.txt": b"y"}, ()),
        "renamed": ({"my_adam.ipynb": b'{"cells": []}'}, ()),
        "two": ({"a.ipynb": b"1", "b.ipynb": b"2"}, ()),
        "none": ({"notes.txt": b"y"}, ()),
        "link": ({}, [(NAME, secret)]),
        "link-beside-a-file": ({"mine.ipynb": b"{}"}, [(NAME, secret)]),
        "only-a-renamed-link": ({}, [("mine.ipynb", secret)]),
    }
    for name, (files, links) in cases.items():
        folder = folder_with(tmp_path / "submitted", name, files, links)
        here = choose_notebook(folder, NAME)
        there = unpack_submission(pack_submission(NAME, folder), tmp_path / "worker" / name)
        there = there if there.path is None else choose_notebook(there.path, NAME)
        assert there.note == here.note, name
        assert (there.path is None) == (here.path is None), name
        if here.path is not None:
            assert there.path.name == here.path.name and there.path.read_bytes() == here.path.read_bytes()
    assert pack_submission(NAME, tmp_path / "submitted" / "link").files == {}  # the linked file never travels


def test_an_oversized_notebook_travels_as_its_size_and_is_rejected_alike(tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    with open(big / NAME, "wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)
    packed = pack_submission(NAME, big)
    assert packed.sized and packed.files == {NAME: MAX_NOTEBOOK_BYTES + 1}
    there = unpack_submission(packed, tmp_path / "worker")

    def rejection(path):
        with pytest.raises(SubmissionError) as error:
            read_submission(path)
        return str(error.value)

    assert rejection(there.path / NAME) == rejection(big / NAME)


def test_a_file_instead_of_a_folder_is_refused_alike(tmp_path):
    (tmp_path / "file").write_text("x")
    packed = pack_submission(NAME, tmp_path / "file")
    assert packed.refused == choose_notebook(tmp_path / "file", NAME).note == "submission is not a folder"
