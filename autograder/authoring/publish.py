"""Write the public student repository: what students may see of this repository, which stays private.

Colab opens a notebook only from a public GitHub repository, and `repository:` in `_config.yml` names
that public repository: the book's Colab links and launch buttons are built from it. This module
fills it:

    DIR/README.md                        for students: the course, the book's address, each notebook in Colab
    DIR/assignments/<a>/<a>.ipynb        the student notebooks, at the paths the Colab links name
                                         (under `path_to_book` when _config.yml sets one)
    DIR/docs/                            the built book (_build/html), for GitHub Pages (branch, folder /docs)
    DIR/docs/.nojekyll                   Pages then serves _static/ as it is (Jekyll drops folders named _*)
    DIR/.course-publish.json             the files written here: marks DIR as this command's output

Nothing else of this repository goes there (no solutions/, tests/, autograder/, gradebook or class
folders). Publishing again into DIR replaces the files the last publish wrote and removes those it no
longer writes (a renamed notebook); it touches nothing else, so DIR's `.git`, a CNAME or a workflow stay.
"""

import json
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union
from urllib.parse import urlparse

import yaml

from ..paths import RELEASE_DIR, REPO
from .book_sources import HTML, stale_book

BOOK_DIR = "docs"  # one of the two folders GitHub Pages serves from a branch (the other is the root)
MANIFEST = ".course-publish.json"
DEFAULT_COLAB = "https://colab.research.google.com"
# A last guard: nbgrader's markers stand only in a source notebook (solutions/), never in what students get.
SOURCE_MARKERS = (b"### BEGIN SOLUTION", b"### BEGIN HIDDEN TESTS")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}


class PublishRefused(Exception):
    """Publishing would write the wrong thing, or over the wrong folder: the message says which, in one line."""


@dataclass(frozen=True)
class PublicRepository:
    """The public student repository, as `_config.yml` names it (jupyter-book reads the same keys)."""

    url: str
    org: str
    name: str
    branch: str
    path_to_book: str  # the folder of the repository that the Colab links' paths start from ("" for the root)
    colab: str
    book_url: str  # where GitHub Pages serves docs/, unless `html: baseurl:` says otherwise

    def path(self, rel: str) -> str:
        """A file's path in the public repository, from its path relative to the book's root."""
        return f"{self.path_to_book}/{rel}" if self.path_to_book else rel

    def colab_url(self, notebook: str) -> str:
        """What the book's {colab} role and launch buttons link (book/_ext/course_book.py)."""
        return f"{self.colab}/github/{self.org}/{self.name}/blob/{self.branch}/{self.path(notebook)}"


@dataclass
class Published:
    dest: Path
    repository: PublicRepository
    notebooks: list[str]  # paths in DIR
    files: int
    size: int  # bytes written
    removed: list[str]  # written by the previous publish, not by this one
    notes: list[str] = field(default_factory=list)  # worth a look, not worth refusing


def public_repository(repo: Path = REPO) -> PublicRepository:
    config = yaml.safe_load((repo / "_config.yml").read_text()) or {}
    section = config.get("repository") or {}
    url = str(section.get("url") or "")
    parts = urlparse(url).path.strip("/").removesuffix(".git").split("/")
    if urlparse(url).netloc != "github.com" or len(parts) != 2 or not all(parts):
        raise PublishRefused("_config.yml: `repository: url` must be the public student repository, "
                             "https://github.com/<org>/<repo>")
    org, name = parts
    colab = ((config.get("launch_buttons") or {}).get("colab_url") or DEFAULT_COLAB).rstrip("/")
    book_url = (config.get("html") or {}).get("baseurl") or f"https://{org.lower()}.github.io/{name}/"
    return PublicRepository(url=f"https://github.com/{org}/{name}", org=org, name=name,
                            branch=str(section.get("branch") or "master"),  # jupyter-book's default
                            path_to_book=str(section.get("path_to_book") or "").strip("/"),
                            colab=colab, book_url=book_url.rstrip("/") + "/")


def publish(dest: Path, repo: Path = REPO) -> Published:
    """Write the public student repository into `dest` (see the module's docstring); raise
    PublishRefused, before writing anything, when that would be wrong."""
    dest, repo = dest.expanduser().resolve(), repo.resolve()
    previous = _previous_output(dest, repo)
    if problem := stale_book(repo):
        raise PublishRefused(problem)
    public = public_repository(repo)
    plan = _plan(repo, public)
    _refuse_source_notebooks(plan)

    stale = sorted(set(previous) - set(plan))
    dest.mkdir(parents=True, exist_ok=True)
    # Listed before writing: an interrupted publish still knows, next time, every file it may have left.
    _write_manifest(dest, sorted(set(previous) | set(plan)))
    for rel in stale:
        _remove(dest, rel)
    size = 0
    for rel, what in plan.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(what, Path):
            shutil.copyfile(what, target)
        else:
            target.write_bytes(what)
        size += target.stat().st_size
    _write_manifest(dest, sorted(plan))
    notebooks = [rel for rel in plan if rel.startswith(public.path(RELEASE_DIR) + "/") and rel.endswith(".ipynb")]
    return Published(dest=dest, repository=public, notebooks=notebooks, files=len(plan), size=size,
                     removed=stale, notes=_notes(dest, repo, public))


def _previous_output(dest: Path, repo: Path) -> list[str]:
    """The files the last publish wrote into `dest` ([] for a new or empty folder); refuses a folder
    that publishing would harm."""
    if dest == repo or repo in dest.parents:
        raise PublishRefused(f"{dest} is inside this repository, which holds solutions/: "
                             "publish into a folder outside it (a clone of the public repository)")
    if dest in repo.parents:
        raise PublishRefused(f"{dest} holds this repository: publish into a folder outside it")
    if dest.exists() and not dest.is_dir():
        raise PublishRefused(f"{dest} is a file, not a folder")
    if not dest.exists() or not {p.name for p in dest.iterdir()} - {".git"}:
        return []  # new, empty, or a fresh clone of the empty public repository
    manifest = dest / MANIFEST
    if not manifest.is_file():
        raise PublishRefused(f"{dest} is not empty and no earlier publish wrote it (no {MANIFEST}): "
                             "publish into an empty folder, a clone of the empty public repository, "
                             "or an earlier publish's folder")
    try:
        files = json.loads(manifest.read_text())["files"]
        assert isinstance(files, list) and all(isinstance(f, str) for f in files)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise PublishRefused(f"{manifest} is unreadable: move it away only if {dest} holds "
                             "nothing of yours") from None
    # Only paths inside DIR: the list is a file anyone with push access can edit.
    return [f for f in files if dest in (dest / f).resolve().parents and ".git" not in Path(f).parts]


def _plan(repo: Path, public: PublicRepository) -> dict[str, Union[Path, bytes]]:
    """Every file of the public repository: its path there, and the file to copy or the bytes to write."""
    plan: dict[str, Union[Path, bytes]] = {}
    for path in _files(repo / RELEASE_DIR):
        plan[public.path(path.relative_to(repo).as_posix())] = path
    site = repo / HTML
    for path in _files(site):
        plan[f"{BOOK_DIR}/{path.relative_to(site).as_posix()}"] = path
    plan[f"{BOOK_DIR}/.nojekyll"] = b""
    plan["README.md"] = student_readme(repo, public).encode()
    return plan


def _files(top: Path) -> list[Path]:
    return [p for p in sorted(top.rglob("*"))
            if p.is_file() and not SKIPPED_DIRS & set(p.relative_to(top).parts)]


def _refuse_source_notebooks(plan: dict[str, Union[Path, bytes]]) -> None:
    """The student notebooks and the book are checked for leaks by the tests; this stops a source
    notebook that reached assignments/ or the built book some other way (a copied file, an old page)."""
    for rel, what in plan.items():
        content = what.read_bytes() if isinstance(what, Path) else what
        if any(marker in content for marker in SOURCE_MARKERS):
            raise PublishRefused(f"{rel} would hold a solution or hidden tests (nbgrader's markers): "
                                 "nothing was published")


def _remove(dest: Path, rel: str) -> None:
    """Remove a file the last publish wrote, and the folders it leaves empty (never DIR itself)."""
    path = dest / rel
    if path.is_file() or path.is_symlink():
        path.unlink()
    for parent in path.parents:
        if parent == dest or not parent.is_dir() or any(parent.iterdir()):
            break
        parent.rmdir()


def _write_manifest(dest: Path, files: list[str]) -> None:
    (dest / MANIFEST).write_text(json.dumps({
        "written_by": "python -m autograder publish (the next publish replaces these files)",
        "files": files}, indent=1) + "\n")


def _notes(dest: Path, repo: Path, public: PublicRepository) -> list[str]:
    """Git remotes that contradict `repository:`: Colab would open other notebooks than these."""
    notes = []
    target = f"{public.org}/{public.name}".lower()
    if _github_repo(_origin(dest)) not in (None, target):
        notes.append(f"note: {dest}'s origin is {_origin(dest)}, but the book's Colab links open "
                     f"{public.url} (_config.yml, repository:)")
    if _github_repo(_origin(repo)) == target:
        notes.append(f"note: _config.yml's repository: is this repository's own origin ({public.url}), "
                     "which holds solutions/: name the public student repository there")
    return notes


def _origin(folder: Path) -> Optional[str]:
    if not (folder / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(folder), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _github_repo(url: Optional[str]) -> Optional[str]:
    """"org/name" of an https or ssh GitHub URL; None for anything else."""
    match = re.search(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$", url or "")
    return f"{match[1]}/{match[2]}".lower() if match else None


# ---- the students' README ---------------------------------------------------------------------

def student_readme(repo: Path, public: PublicRepository) -> str:
    """What the course is, where the book is, and each assignment's notebook with its Colab link."""
    config = yaml.safe_load((repo / "_config.yml").read_text()) or {}
    title = config.get("title") or "The course"
    rows = [f"| [{chapter}]({public.book_url}{page}.html) | [{title_}]({public.colab_url(notebook)}) "
            f"| `{public.path(notebook)}` |" for chapter, page, title_, notebook in _assignments(repo)]
    return f"""# {title}

{_introduction(repo)}This repository is the course's public side: the book and the assignment notebooks.

* **The book**: {public.book_url} (also in `{BOOK_DIR}/`: open `{BOOK_DIR}/index.html` from disk, it needs no internet).
* **The assignments**: one notebook per chapter, in `{public.path(RELEASE_DIR)}/`. Each opens in Google
  Colab, which has everything they use: nothing to install.

| chapter | assignment (opens in Colab) | notebook |
|---------|-----------------------------|----------|
{chr(10).join(rows)}

## Working on an assignment

1. Read the chapter, then open its notebook in Colab: the link above, or *Open the assignment in
   Colab* in the chapter. (In Colab, *File → Open notebook → GitHub* with this repository's address
   {public.url} finds them too.)
2. *File → Save a copy in Drive*, and work in your copy: Colab does not save into this repository.
3. Write your code where the notebook says `raise NotImplementedError()`, and run the visible tests
   under each exercise.
4. *File → Download → Download .ipynb*, and hand the notebook in as your course asks.

Written by `python -m autograder publish` from the course's sources: changes made here are
replaced by the next publish.
"""


def _assignments(repo: Path) -> list[tuple[str, str, str, str]]:
    """(chapter title, chapter page, assignment title, notebook) of each student notebook in _toc.yml,
    in reading order."""
    toc = yaml.safe_load((repo / "_toc.yml").read_text()) or {}
    out = []

    def walk(entries: list[dict], parent: Optional[dict]) -> None:
        for entry in entries:
            file = str(entry.get("file", ""))
            if file.startswith(f"{RELEASE_DIR}/") and parent is not None:
                page = str(parent["file"])
                out.append((_page_title(repo, page), page, str(entry.get("title") or Path(file).name),
                            f"{file}.ipynb"))
            walk(entry.get("sections", []) + entry.get("chapters", []), entry)
            for part in entry.get("parts", []):
                walk(part.get("chapters", []), None)

    walk(toc.get("chapters", []), None)
    for part in toc.get("parts", []):
        walk(part.get("chapters", []), None)
    return out


def _page_title(repo: Path, page: str) -> str:
    """The first heading of a MyST page: its title in the book."""
    path = repo / f"{page}.md"
    heading = re.search(r"^# (.+)$", _without_front_matter(path), re.M)
    return heading[1].strip() if heading else Path(page).name


def _introduction(repo: Path) -> str:
    """The home page's first paragraph (what the course is), when it is plain prose."""
    text = _without_front_matter(repo / "book" / "index.md")
    after_title = re.split(r"^# .+$", text, maxsplit=1, flags=re.M)[-1]
    paragraphs = [p for p in after_title.split("\n\n") if p.strip()]
    first = textwrap.fill(" ".join(paragraphs[0].split()), 100) if paragraphs else ""
    return f"{first}\n\n" if first and not re.search(r"[{}`<>]", first) else ""  # no MyST roles or HTML


def _without_front_matter(path: Path) -> str:
    text = path.read_text() if path.is_file() else ""
    return re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
