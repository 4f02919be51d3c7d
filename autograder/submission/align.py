"""Put back nbgrader metadata that an editor dropped, by matching cells on content and order.

Some editors (and copy-pasting into a fresh notebook) lose the cells' nbgrader metadata: without it
no answer can be found by its grade_id. The cells given out unchanged (instructions, setup, tests)
are still recognisable by their text, so they anchor an alignment of the submission against the
source notebook (difflib's longest matching blocks); between two anchors, the cells the student
wrote fill the answer cells the source has there, when that is unambiguous:

- the stretch between anchors holds as many cells in the submission as in the source: cell by cell,
  where the kinds (code, markdown) agree;
- or it has one answer cell to fill, and one cell of the submission there is the answer: the only
  one of that kind, or, for code, the only one that defines what the answer must define (the
  classes, functions and names the source's answer cell defines at its top level).

Anything else is left for a person (the flag `cells-unmatched`): a code answer is not guessed, and a
written answer that could not be placed still reaches the person grading by hand, with all the
text the student wrote in that stretch, instead of counting as blank.
"""

import ast
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Hashable

from .. import cells

UNMATCHED_FLAG = "cells-unmatched"
RESTORED_NOTE = "nbgrader metadata missing"  # notes that begin so say what was put back


@dataclass
class Alignment:
    submission: dict  # the submission, with the metadata put back where it could be
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def _visible(text: str) -> str:
    return _normal(cells.without_hidden_tests(text))


def _defines(text: str) -> frozenset[str]:
    """The names a cell's code binds at its top level (empty when it is not Python)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


def _kind(cell: Any) -> str:
    return cell.get("cell_type", "code") if isinstance(cell, dict) else "code"


def restore_metadata(source_nb: dict, submission: dict) -> Alignment:
    """The submission with nbgrader metadata restored on cells that lost it (see the module's text).

    Does nothing when every cell the source grades by grade_id is still found by its grade_id, or
    when no cell has lost its metadata."""
    sub_cells = [c for c in submission.get("cells", []) if isinstance(c, dict)]
    present = {cells.grade_id(c) for c in sub_cells} - {None}
    source = [c for c in source_nb.get("cells", []) if isinstance(c, dict)]
    wanted = [c for c in source if cells.grade_id(c) and (cells.nbgrader(c).get("solution")
                                                          or cells.nbgrader(c).get("grade"))]
    missing = {cells.grade_id(c) for c in wanted} - present
    bare = [i for i, c in enumerate(sub_cells) if not cells.nbgrader(c)]
    if not missing or not bare:
        return Alignment(submission)

    # The source as tokens: a cell by its grade_id, or by its text when it has none. A submitted
    # cell that lost its metadata takes the token of the given-out cell whose text it still has.
    def source_token(c: dict) -> Hashable:
        gid = cells.grade_id(c)
        return ("id", gid) if gid else ("text", _normal(cells.source(c)))

    r_tokens = [source_token(c) for c in source]
    by_text: dict[str, Hashable] = {}
    for c, token in zip(source, r_tokens):
        meta = cells.nbgrader(c)
        if meta.get("solution"):
            continue  # an answer cell's text is the student's: it anchors nothing
        text = _visible(cells.source(c)) if meta.get("grade") else _normal(cells.source(c))
        if text and (token[0] == "text" or token[1] in missing):
            by_text.setdefault(text, token)

    s_tokens: list[Hashable] = []
    for i, c in enumerate(sub_cells):
        gid = cells.grade_id(c)
        if gid:
            s_tokens.append(("id", gid))
        else:
            s_tokens.append(by_text.get(_visible(cells.source(c)), ("free", i)))

    restored: dict[int, dict] = {}  # submission index -> the source cell whose metadata it gets
    unplaced: list[str] = []
    manual_text: dict[str, str] = {}  # written answers that could not be placed: what the stretch held
    matcher = SequenceMatcher(None, r_tokens, s_tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for r, s in zip(range(i1, i2), range(j1, j2)):
                if cells.grade_id(source[r]) in missing and s_tokens[s][0] == "id" \
                        and cells.grade_id(sub_cells[s]) is None:
                    restored[s] = source[r]  # a given-out cell recognised by its text
            continue
        slots = [r for r in range(i1, i2) if cells.grade_id(source[r]) in missing
                 and cells.nbgrader(source[r]).get("solution")]
        free = [s for s in range(j1, j2) if s_tokens[s][0] == "free"]
        if not slots:
            continue
        if i2 - i1 == j2 - j1:
            pairs = list(zip(range(i1, i2), range(j1, j2)))
            placed = [(r, s) for r, s in pairs if r in slots and s in free and _kind(source[r]) == _kind(sub_cells[s])]
        else:
            placed = []
            if len(slots) == 1:
                slot = source[slots[0]]
                same = [s for s in free if _kind(sub_cells[s]) == _kind(slot)]
                if len(same) > 1 and _kind(slot) == "code" and _defines(cells.source(slot)):
                    must = _defines(cells.source(slot))
                    same = [s for s in same if must <= _defines(cells.source(sub_cells[s]))]
                if len(same) == 1:
                    placed = [(slots[0], same[0])]
        for r, s in placed:
            restored[s] = source[r]
        for r in slots:
            if r in {p for p, _ in placed}:
                continue
            gid = cells.grade_id(source[r])
            unplaced.append(gid)
            if _kind(source[r]) == "markdown":
                text = "\n\n".join(cells.source(sub_cells[s]) for s in free
                                   if _kind(sub_cells[s]) == "markdown" and cells.source(sub_cells[s]).strip())
                if text:
                    manual_text[gid] = text

    if not restored and not unplaced:
        return Alignment(submission)
    out = dict(submission)
    new_cells = []
    for i, c in enumerate(sub_cells):
        if i in restored:
            c = {**c, "metadata": {**(c.get("metadata") if isinstance(c.get("metadata"), dict) else {}),
                                   "nbgrader": dict(cells.nbgrader(restored[i]))}}
        new_cells.append(c)
    for gid, text in manual_text.items():  # for the person grading by hand: never blank when it is not
        meta = next(cells.nbgrader(c) for c in source if cells.grade_id(c) == gid)
        new_cells.append({"cell_type": "markdown", "id": f"unplaced-{gid}"[:64], "metadata": {"nbgrader": dict(meta)},
                          "source": text})
    out["cells"] = new_cells
    alignment = Alignment(out)
    lost = sum(1 for c in sub_cells if not cells.nbgrader(c))
    if restored:
        ids = sorted(cells.grade_id(c) or "" for c in restored.values())
        alignment.notes.append(f"{RESTORED_NOTE} in {lost} cell(s): matched by content and order to "
                               f"{_listed(ids)}")
    if unplaced:
        alignment.flags.append(UNMATCHED_FLAG)
        alignment.notes.append(f"cells without nbgrader metadata: could not tell which answers "
                               f"{_listed(sorted(unplaced))} (a person should look)")
    return alignment


def _listed(ids: list[str], limit: int = 6) -> str:
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more
