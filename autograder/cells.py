"""Reading a notebook cell as nbgrader sees it: its nbgrader metadata, its grade_id, its text.

Submitted notebooks come from anywhere (Colab downloads, old Jupyter, hand edits), so every
accessor here accepts malformed cells and answers with an empty value instead of raising.
"""

from typing import Any, Optional


def nbgrader(cell: Any) -> dict:
    """The cell's nbgrader metadata ({} when absent or malformed)."""
    meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    data = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    return data if isinstance(data, dict) else {}


def grade_id(cell: Any) -> Optional[str]:
    """The cell's nbgrader grade_id (None when it has none, or one that is not a string)."""
    value = nbgrader(cell).get("grade_id")
    return value if isinstance(value, str) else None


def source(cell: Any) -> str:
    """The cell's text, whether stored as one string or as a list of lines (nbformat 3: `input`)."""
    if not isinstance(cell, dict):
        return ""
    text = cell.get("source", cell.get("input", ""))
    if isinstance(text, list):
        return "".join(s if isinstance(s, str) else str(s) for s in text)
    return text if isinstance(text, str) else str(text)


def without_region(source: str, region: str) -> str:
    """`source` without nbgrader's `### BEGIN <region>` ... `### END <region>` blocks (markers included):
    a cell as nbgrader gives it to students, for region "SOLUTION" or "HIDDEN TESTS"."""
    lines, inside = [], False
    for line in source.splitlines(keepends=True):
        if f"### BEGIN {region}" in line:
            inside = True
        elif f"### END {region}" in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "".join(lines)


def without_hidden_tests(source: str) -> str:
    """A test cell as students get it: its hidden tests left out."""
    return without_region(source, "HIDDEN TESTS")
