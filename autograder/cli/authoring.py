"""The maintainer's commands: `build` (every notebook from its one source), `book` (the static site)
and `publish` (the public student repository: the notebooks and the book, never the solutions)."""

import argparse
import subprocess
import sys
from pathlib import Path

from ..paths import REPO


def _build(args: argparse.Namespace) -> int:
    from ..authoring.build import assignments, build  # jupytext, nbformat, nbgrader: only for this command

    unknown = sorted(set(args.assignments) - set(assignments(REPO)))
    if unknown:
        print(f"python -m autograder build: no source solutions/<a>/<a>.py for {', '.join(unknown)}; choose from "
              f"{', '.join(assignments(REPO))}", file=sys.stderr)
        return 2
    for path in build(REPO, args.assignments or None):
        print(f"wrote {path.relative_to(REPO)}")
    return 0


def _book(args: argparse.Namespace) -> int:
    """Build the static book into _build/html: warnings are errors (a failing cell fails the build),
    execution is cached (_build/.jupyter_cache), nothing is fetched (MathJax and plotly.js are local)."""
    import shutil
    import time

    from ..authoring.book_sources import forget_built_sources, record_built_sources, source_digests

    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
           "build", str(REPO), "-W", "--keep-going"]
    if args.all:
        cmd.append("--all")
    shutil.rmtree(REPO / "_build" / "html" / "reports", ignore_errors=True)  # myst-nb's logs of failed cells
    _forget_outputs_made_with_old_course_code()
    sources = source_digests(REPO)  # what this build reads; `publish` refuses a book built from others
    forget_built_sources(REPO)
    start = time.monotonic()
    code = subprocess.call(cmd, cwd=REPO)
    if code == 0:
        record_built_sources(REPO, sources)
    else:
        # Sphinx re-reads only changed pages: without this, a second build after a failed one would
        # "succeed" without looking at the pages that failed. (Executed notebooks stay cached.)
        shutil.rmtree(REPO / "_build" / ".doctrees", ignore_errors=True)
    print(f"book {'built' if code == 0 else 'FAILED'} in {time.monotonic() - start:.1f} s: "
          f"{REPO / '_build' / 'html' / 'index.html'}", file=sys.stderr)
    return code


def _forget_outputs_made_with_old_course_code() -> None:
    """The execution cache keys on a page's own text; the pages import course/, so a change there
    must re-execute them too (else a cached figure shows the old code's output)."""
    import hashlib
    import shutil

    digest = hashlib.sha256()
    for path in sorted((REPO / "course").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    stamp = REPO / "_build" / ".course-code.sha256"
    if stamp.is_file() and stamp.read_text() != digest.hexdigest():
        shutil.rmtree(REPO / "_build" / ".jupyter_cache", ignore_errors=True)
        shutil.rmtree(REPO / "_build" / ".doctrees", ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest.hexdigest())


def _publish(args: argparse.Namespace) -> int:
    from ..authoring.publish import BOOK_DIR, PublishRefused, publish

    try:
        done = publish(args.dir, REPO)
    except PublishRefused as refusal:
        print(f"publish: refused: {refusal}", file=sys.stderr)
        return 1
    public, dest = done.repository, done.dest
    removed = f"; removed {len(done.removed)} file(s) the last publish wrote" if done.removed else ""
    print(f"published {len(done.notebooks)} student notebooks and the book ({done.files} files, "
          f"{done.size / 1e6:.1f} MB) into {dest}{removed}")
    for note in done.notes:
        print(note)
    # What makes the Colab links work: these files on that branch of that public repository.
    first_time = "" if (dest / ".git").exists() else (
        f"git init -b {public.branch} && git remote add origin {public.url}.git && ")
    print(f"next: cd {dest} && {first_time}git add -A && git commit -m 'Publish the course' "
          f"&& git push origin {public.branch}")
    print(f"      the Colab links open {public.url} (branch {public.branch}); GitHub Pages: branch "
          f"{public.branch}, folder /{BOOK_DIR}, serves the book at {public.book_url}")
    return 0


def add_commands(sub: "argparse._SubParsersAction") -> None:
    p = sub.add_parser("build", help="regenerate solutions/*.ipynb and assignments/ from solutions/*/*.py")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.set_defaults(run=_build)
    p = sub.add_parser("book", help="build the static book into _build/html")
    p.add_argument("--all", action="store_true", help="rebuild every page, not only what changed")
    p.set_defaults(run=_book)
    p = sub.add_parser("publish", help="write the public student repository into DIR: the student "
                       "notebooks, the built book (docs/) and a README; never solutions/ or tests/")
    p.add_argument("dir", type=Path, metavar="DIR",
                   help="an empty folder, a clone of the empty public repository, or an earlier publish's "
                   "output (updated in place: its .git and your other files stay)")
    p.set_defaults(run=_publish)
