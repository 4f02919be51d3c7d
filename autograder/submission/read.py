"""Read a submitted notebook safely: bytes in, notebook JSON out, or one short reason why not."""

import contextlib
import io
import json
from pathlib import Path
from typing import Optional

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


class SubmissionError(Exception):
    """The submission cannot be graded at all; the message is the status an instructor sees."""


def read_submission(path: Path, notes: Optional[list] = None) -> dict:
    """The submitted notebook as JSON, or SubmissionError saying in a few words what is wrong.

    Reads the file once and never writes it. An nbformat 3 notebook is upgraded in memory (a note
    saying so goes to `notes`)."""
    return parse_submission(read_notebook_bytes(path), notes)


def read_notebook_bytes(path: Path) -> bytes:
    """The file's bytes, or SubmissionError when it is no regular file, empty, too large or unreadable."""
    try:
        if path.is_symlink() or not path.is_file():
            raise SubmissionError("not a notebook (not a regular file)")
        size = path.stat().st_size
        if size == 0:
            raise SubmissionError("empty file")
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"file too large ({size // 1_000_000} MB)")
        return path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"unreadable file ({error.strerror})")


def parse_submission(raw: bytes, notes: Optional[list] = None) -> dict:
    """A notebook's bytes as JSON (see read_submission)."""
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
            import nbformat

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


def load_source(path: Path) -> dict:
    """A trusted source notebook (solutions/), as JSON."""
    return json.loads(Path(path).read_text())
