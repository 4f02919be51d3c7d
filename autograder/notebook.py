"""Read a submission safely and line it up with the trusted source notebook.

The graded program is rebuilt from the *source* notebook (solutions/): its setup cells and its
tests, with the student's answer in each solution cell (matched by nbgrader `grade_id`). Whatever
else the submitted file holds (edited or deleted test cells, extra cells) is not executed.
"""

import contextlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import nbformat

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


class SubmissionError(Exception):
    """The submission cannot be graded at all; the message is the status an instructor sees."""


@dataclass
class GradedCell:
    grade_id: str
    kind: str  # "setup" (trusted code run before the answers), "answer", "test", "manual"
    source: str
    points: float = 0.0
    hidden: bool = False


@dataclass
class Program:
    """What gets run: the cells in order, and what the submission looked like."""

    cells: list[GradedCell]
    notes: list[str] = field(default_factory=list)  # e.g. "test cell adam-visible was edited"
    check_modules: list[str] = field(default_factory=list)  # autograder/checks/<name>.py its tests use

    def answers(self) -> dict[str, str]:
        return {c.grade_id: c.source for c in self.cells if c.kind == "answer"}

    def tests(self) -> list[GradedCell]:
        return [c for c in self.cells if c.kind == "test"]


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    data = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return data if isinstance(data, dict) else {}


def _source(cell: dict) -> str:
    source = cell.get("source", cell.get("input", ""))
    if isinstance(source, list):
        return "".join(s if isinstance(s, str) else str(s) for s in source)
    return source if isinstance(source, str) else str(source)


def read_submission(path: Path, notes: Optional[list] = None) -> dict:
    """The submitted notebook as JSON, or SubmissionError saying in a few words what is wrong.

    Reads the file once and never writes it. An nbformat 3 notebook is upgraded in memory (a note
    saying so goes to `notes`)."""
    try:
        if path.is_symlink() or not path.is_file():
            raise SubmissionError("not a notebook (not a regular file)")
        size = path.stat().st_size
        if size == 0:
            raise SubmissionError("empty file")
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"file too large ({size // 1_000_000} MB)")
        raw = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"unreadable file ({error.strerror})")
    if not raw.strip():
        raise SubmissionError("empty file")
    if b"\x00" in raw[:4096]:
        raise SubmissionError("not a notebook (binary file)")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark some editors write is fine
    except UnicodeDecodeError as error:
        raise SubmissionError(f"not a notebook (not UTF-8 text: byte {error.start})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"invalid notebook JSON (line {error.lineno}: {error.msg})")
    except (ValueError, RecursionError):
        raise SubmissionError("invalid notebook JSON (nested too deep)")
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise SubmissionError("not a notebook (no cells)")
    major = data.get("nbformat")
    if major == 3 or "worksheets" in data:
        try:  # nbformat 3 (very old Jupyter): upgrade in memory, the file stays as it is
            with contextlib.redirect_stderr(io.StringIO()):  # nbformat's validation warnings
                upgraded = nbformat.convert(nbformat.reads(text, as_version=3), 4)
            data = json.loads(nbformat.writes(upgraded))
        except Exception:
            raise SubmissionError("nbformat 3 notebook that cannot be converted")
        if notes is not None:
            notes.append("nbformat 3 notebook (upgraded to 4 to grade it)")
    elif major != 4:
        raise SubmissionError(f"unsupported notebook format {major!r}")
    if not isinstance(data.get("cells"), list):
        raise SubmissionError("not a notebook (no cells)")
    return data


def source_cells(source_nb: dict) -> list[tuple[str, dict, str]]:
    """(grade_id, nbgrader metadata, source) of the source notebook's nbgrader cells, in order."""
    out = []
    for cell in source_nb["cells"]:
        meta = _nbgrader(cell)
        if meta.get("grade_id"):
            out.append((meta["grade_id"], {**meta, "cell_type": cell.get("cell_type")}, _source(cell)))
    return out


def build_program(source_nb: dict, submission: dict) -> Program:
    """Line the submission up with the source: the student's answers, everything else trusted.

    Notes (they end up in the status) say what differs from what nbgrader expects: test cells
    edited or deleted (the source's are run), answer cells missing, repeated (every copy runs, in
    the submission's order, as in the student's kernel) or no longer code, stray cells with
    nbgrader metadata (ignored), metadata without schema_version (which stops nbgrader)."""
    submitted: dict[str, tuple[dict, str]] = {}
    copies: dict[str, list[str]] = {}
    no_schema = 0
    for cell in submission.get("cells", []):
        if not isinstance(cell, dict):
            continue
        meta = _nbgrader(cell)
        if meta and "schema_version" not in meta:
            no_schema += 1
        grade_id = meta.get("grade_id")
        if isinstance(grade_id, str):
            copies.setdefault(grade_id, []).append(_source(cell))
            if grade_id not in submitted:
                submitted[grade_id] = (cell, _source(cell))
    notes: list[str] = []
    cells: list[GradedCell] = []
    known = set()
    for grade_id, meta, source in source_cells(source_nb):
        known.add(grade_id)
        code = meta["cell_type"] == "code"
        if meta.get("solution") and code:
            if grade_id in submitted:
                found = copies[grade_id]
                if len(found) > 1:
                    notes.append(f"answer cell {grade_id} appears {len(found)} times (all run, in order)")
                if submitted[grade_id][0].get("cell_type", "code") != "code":
                    notes.append(f"answer cell {grade_id} is not a code cell (run as code)")
                cells.append(GradedCell(grade_id, "answer", found[0]))
                cells += [GradedCell(f"{grade_id}#{i}", "answer", text) for i, text in enumerate(found[1:], 2)]
            else:
                notes.append(f"answer cell {grade_id} missing")
                cells.append(GradedCell(grade_id, "answer", "raise NotImplementedError('answer cell missing')"))
        elif meta.get("grade") and code:
            hidden = "BEGIN HIDDEN TESTS" in source
            if grade_id not in submitted:
                notes.append(f"test cell {grade_id} deleted (restored)")
            elif _visible_part(submitted[grade_id][1]) != _visible_part(source):
                notes.append(f"test cell {grade_id} edited (restored)")
            cells.append(GradedCell(grade_id, "test", source, float(meta.get("points", 0)), hidden))
        elif meta.get("grade"):
            cells.append(GradedCell(grade_id, "manual", submitted.get(grade_id, ({}, ""))[1],
                                    float(meta.get("points", 0))))
        elif code and meta.get("locked") and grade_id.startswith("setup"):
            cells.append(GradedCell(grade_id, "setup", source))
    stray = [g for g in submitted if g not in known]
    if stray:
        more = f" and {len(stray) - 5} more" if len(stray) > 5 else ""
        notes.append(f"unknown nbgrader cells ignored: {', '.join(sorted(stray)[:5])}{more}")
    if no_schema:
        notes.append(f"nbgrader metadata without schema_version in {no_schema} cell(s) (ignored here; "
                     f"nbgrader would stop)")
    return Program(cells, notes, check_modules(source_nb))


_INLINED_CHECK = re.compile(r"autograder/checks/(\w+)\.py")


def check_modules(source_nb: dict) -> list[str]:
    """The check modules the source notebook's helpers cell inlines ("Generated from ...", see build.py),
    core excepted: the modules whose probes and declarations its tests use."""
    found: list[str] = []
    for grade_id, _meta, source in source_cells(source_nb):
        if grade_id == "helpers":
            first = source.split("\n", 1)[0]
            found += [m for m in _INLINED_CHECK.findall(first) if m != "core" and m not in found]
    return found


def _visible_part(source: str) -> str:
    """A test cell as the student sees it: hidden tests removed, whitespace normalised."""
    lines, hiding = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            hiding = True
        elif "### END HIDDEN TESTS" in line:
            hiding = False
        elif not hiding and line.strip():
            lines.append(line.rstrip())
    return "\n".join(lines)


def load_source(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def find_notebook(folder: Path, expected: str) -> tuple[Optional[Path], Optional[str]]:
    """The submitted notebook in `folder`: the expected name, or the only .ipynb there (noted).

    Only regular files count: a symbolic link (which could point at the solutions or at another
    student's work) or anything else is refused, and so is a folder that is a link."""
    try:
        if folder.is_symlink():
            return None, "submission folder is a symbolic link (not graded)"
        exact = folder / expected
        if exact.is_symlink():
            return None, f"{expected} is a symbolic link (not graded)"
        if exact.is_file():
            return exact, None
        candidates = sorted(p for p in folder.glob("*.ipynb")
                            if not p.name.startswith(".") and not p.is_symlink() and p.is_file())
    except OSError as error:
        return None, f"unreadable submission folder ({error.strerror})"
    if len(candidates) == 1:
        return candidates[0], f"renamed notebook {candidates[0].name} graded as {expected}"
    if not candidates:
        return None, f"no notebook (expected {expected})"
    return None, f"{len(candidates)} notebooks and none named {expected}"
