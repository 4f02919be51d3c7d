"""Inlining shared modules into a notebook cell, and what the build records about it."""

from autograder.authoring.build import inline_modules, inlined_check_modules


def test_inlined_modules_lose_their_relative_imports(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import math\nfrom .core import (\n    x,\n    y,\n)\n\nZ = math.pi\n")
    text = inline_modules(["pkg/a.py"], repo=tmp_path)
    assert text.startswith("# @title ")  # collapsed in Colab under this title
    assert "# ---- pkg/a.py ----" in text and "import math" in text and "Z = math.pi" in text
    assert "from .core" not in text and "    x," not in text


def test_the_check_modules_a_notebook_uses_are_read_from_its_inline_lines():
    paths = ["autograder/checks/core.py", "autograder/checks/optimizers.py", "course/plots.py"]
    assert inlined_check_modules(paths) == ["optimizers"]
