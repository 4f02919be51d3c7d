"""The student's side of grading: a separate, locked-down process that runs the student's cells and
answers probes with plain data. `view` (namespaces and the filesystem it sees), `limits`,
`switch_off` (torch's implementations of what is graded, absent inside), `channel` (the pipes'
framing), `process` (the process and its protocol) and `child` (what runs inside; standard library
and torch only)."""

from .limits import Limits
from .process import ChildGone, Sandbox

__all__ = ["ChildGone", "Limits", "Sandbox"]
