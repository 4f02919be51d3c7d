"""Which sources the built book (`_build/html`) was made from, so that what is published is never an
older book than the notebooks beside it.

`python -m autograder book` records a digest of every source file before it builds and keeps the
record only when the build succeeds; `stale_book` compares the record with the files as they are now.
Digests, not modification times: a `git checkout` or `git pull` touches files without changing them,
and a build that failed still leaves pages behind.
"""

import hashlib
import json
from pathlib import Path
from typing import Optional

from ..paths import RELEASE_DIR

# What a page of the book is made from: its configuration, its pages (and the extension, templates
# and vendored assets under book/), the course code the pages run, and the student notebooks,
# which are pages too.
SOURCES = ("_config.yml", "_toc.yml", "book", "course", RELEASE_DIR)
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}
RECORD = Path("_build") / "book-sources.json"  # beside _build/html, not in it: it is not published
HTML = Path("_build") / "html"
BUILD_COMMAND = "python -m autograder book"


def source_digests(repo: Path) -> dict[str, str]:
    """sha256 of every source file of the book, by path relative to `repo`."""
    digests = {}
    for name in SOURCES:
        top = repo / name
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(repo).parts):
                digests[path.relative_to(repo).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def forget_built_sources(repo: Path) -> None:
    """Before a build: until it succeeds, no built book counts as current."""
    (repo / RECORD).unlink(missing_ok=True)


def record_built_sources(repo: Path, digests: dict[str, str]) -> None:
    """After a successful build: the digests taken before it started (a file edited during the build
    then makes the book stale, as it should)."""
    (repo / RECORD).parent.mkdir(parents=True, exist_ok=True)
    (repo / RECORD).write_text(json.dumps(digests, indent=0, sort_keys=True) + "\n")


def stale_book(repo: Path) -> Optional[str]:
    """Why `_build/html` is not the book of the current sources (a sentence), or None when it is."""
    if not (repo / HTML / "index.html").is_file() or not (repo / RECORD).is_file():
        return f"the book is not built (or its last build failed): run `{BUILD_COMMAND}` first"
    try:
        built = json.loads((repo / RECORD).read_text())
    except ValueError:
        return f"{RECORD} is unreadable: run `{BUILD_COMMAND}` first"
    now = source_digests(repo)
    changed = sorted(p for p in built.keys() | now.keys() if built.get(p) != now.get(p))
    if changed:
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        return f"{changed[0]}{more} changed after the book was built: run `{BUILD_COMMAND}` first"
    return None
