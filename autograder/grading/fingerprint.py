"""The fingerprint of a grading: which code graded which bytes. An unchanged fingerprint lets a
resumed run keep a result instead of grading the submission again.

Torch-free (torch's version is read from its installed metadata), so the class-level process can
compute it without importing torch.
"""

import functools
import hashlib
from importlib import metadata
from pathlib import Path

GRADER_VERSION = "3"


def _torch_version() -> str:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "none"


@functools.lru_cache(maxsize=None)
def _grader_digest() -> bytes:
    """The grading code itself (every module of the package, the checks included) and torch's version:
    a result graded by other code is not reused on resume."""
    digest = hashlib.sha256(f"{GRADER_VERSION} torch {_torch_version()}".encode())
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.digest()


def grading_code(source: bytes) -> str:
    """Which code grades: the grader's and the source notebook's (the first part of a fingerprint, so
    that a resumed run can say why it grades everything again)."""
    return hashlib.sha256(_grader_digest() + hashlib.sha256(source).digest()).hexdigest()[:16]


def fingerprint(source: bytes, *parts: bytes) -> str:
    """Of a grading: the grader's code, the source notebook's and the submission's bytes."""
    digest = hashlib.sha256(_grader_digest() + hashlib.sha256(source).digest())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return f"{grading_code(source)}-{digest.hexdigest()}"


def file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
