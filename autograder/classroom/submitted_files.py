"""The files nbgrader's exchange writes beside a submission: `timestamp.txt` (when it was handed
in: late penalties are computed from it) and `submission_secret.txt` (which `release_feedback`
needs to hand the feedback back). Copied, never trusted beyond parsing: a bad timestamp is noted
and the submission counts as on time, as when there is none."""

import shutil
from datetime import datetime
from pathlib import Path
from typing import Optional

from ..paths import SUBMISSION_FILES

MAX_TIMESTAMP_CHARS = 100


def submission_timestamp(folder: Path) -> tuple[Optional[datetime], Optional[str]]:
    """(when it was submitted, in UTC as nbgrader reads it, or None; a note when the file is unusable)."""
    from nbgrader.utils import parse_utc

    path = folder / "timestamp.txt"
    if not path.is_file() or path.is_symlink():
        return None, None
    try:
        text = path.read_text(errors="replace").strip()
    except OSError as error:
        return None, f"timestamp.txt unreadable ({error.strerror}): counted as on time"
    if not text:
        return None, "timestamp.txt is empty: counted as on time"
    try:
        if len(text) > MAX_TIMESTAMP_CHARS:
            raise ValueError
        return parse_utc(text), None
    except (ValueError, OverflowError):
        return None, f"timestamp.txt is no date ({text[:40]!r}): counted as on time"


def copy_submission_files(submission: Path, *targets: Path) -> None:
    """timestamp.txt and submission_secret.txt, where the submission has them, into each target."""
    for name in SUBMISSION_FILES:
        found = submission / name
        if found.is_file() and not found.is_symlink():
            for target in targets:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found, target / name)
