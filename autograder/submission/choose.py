"""Which file of a submission folder is graded: one rule, for local workers and for a Dask cluster.

Only regular files count. A symbolic link (which could point at the solutions, or at another
student's work) is refused, and so is a submission folder, or a student folder, that is a link.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Optional


@dataclass(frozen=True)
class Choice:
    """The notebook to grade (None: none can be), and a note about the choice for the status."""

    path: Optional[Path]
    note: Optional[str] = None


NOT_A_FOLDER = "submission is not a folder"


def choose_notebook(folder: Path, expected: str) -> Choice:
    """The submitted notebook in `folder`: the expected name, or the only .ipynb there (noted)."""
    try:
        if folder.is_symlink() or folder.parent.is_symlink():
            return Choice(None, "submission folder is a symbolic link (not graded)")
        if not folder.is_dir():
            return Choice(None, NOT_A_FOLDER)
        exact = folder / expected
        if exact.is_symlink():
            return Choice(None, f"{expected} is a symbolic link (not graded)")
        if exact.is_file():
            return Choice(exact)
        candidates = sorted(p for p in folder.glob("*.ipynb")
                            if not p.name.startswith(".") and not p.is_symlink() and p.is_file())
    except OSError as error:
        return Choice(None, f"unreadable submission folder ({error.strerror})")
    if len(candidates) == 1:
        return Choice(candidates[0], f"renamed notebook {candidates[0].name} graded as {expected}")
    if not candidates:
        return Choice(None, f"no notebook (expected {expected})")
    return Choice(None, f"{len(candidates)} notebooks and none named {expected}")
