"""Grade one submission: the student's cells in the sandbox, the tests here, in a clean process.

The tests (the source notebook's test cells, visible and hidden) run in *this* process, which
never executes student code; they reach the student's code only through probes answered by the
sandbox with plain data. So nothing the submission does at run time can change a comparison,
a reference or a test, and a crash, a hang or a memory blow-up costs only the tests it touches.
"""

import contextlib
import hashlib
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from .checks import core
from .notebook import Program, SubmissionError, build_program, find_notebook, load_source, read_submission
from .sandbox import ChildGone, Limits, Sandbox

GRADER_VERSION = "1"
CHECK_MODULES = sorted(p.stem for p in (Path(__file__).parent / "checks").glob("*.py")
                       if p.stem not in ("__init__", "core"))


@dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""
    hidden: bool = False
    output: str = ""


@dataclass
class SubmissionResult:
    student_id: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = "ok"
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    cell_errors: dict[str, str] = field(default_factory=dict)
    manual_max: float = 0.0
    manual_answers: dict[str, str] = field(default_factory=dict)
    output: str = ""
    seconds: float = 0.0
    fingerprint: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
        data["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        return cls(**data)


def _test_namespace() -> dict:
    """What a test cell can call: the public names of every checks module, plus torch/numpy/math."""
    import importlib

    namespace: dict[str, Any] = {"torch": torch, "np": np, "numpy": np, "math": math}
    for module_name in ["core", *CHECK_MODULES]:
        module = importlib.import_module(f"autograder.checks.{module_name}")
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return namespace


class RemoteStudent:
    """`student()` for the checks: probes go to the sandbox; a dead sandbox fails the test."""

    def __init__(self, session: "Session") -> None:
        self.session = session

    def probe(self, name: str, **kwargs: Any) -> Any:
        reply = self.session.probe(name, kwargs)
        if "ok" in reply:
            return reply["ok"]
        error = reply.get("error")
        if not isinstance(error, dict):
            raise core.ProbeError("ProtocolError", "the sandbox sent no answer")
        raise core.ProbeError(str(error.get("kind", "Error"))[:100], str(error.get("message", ""))[:2000],
                              str(error.get("where", ""))[:300])

    def sources(self, name: str) -> list[str]:
        return list(self.session.program.answers().values())


class StudentCodeStopped(Exception):
    """The student's process died or hung during a test: that test fails with this reason."""


class Session:
    """The sandbox for one submission, restarted (a bounded number of times) after a crash."""

    def __init__(self, program: Program, limits: Limits, isolation: str, scratch: Optional[Path]) -> None:
        self.program, self.limits, self.isolation, self.scratch = program, limits, isolation, scratch
        self.deadline = time.monotonic() + limits.total_timeout
        self.sandbox: Optional[Sandbox] = None
        self.skip: dict[str, str] = {}  # cells that hung or crashed the process: not run again
        self.cell_errors: dict[str, str] = {}
        self.problems: list[str] = []
        self.restarts = 0
        self.output = ""

    def _cells(self) -> list[dict]:
        cells = []
        for c in self.program.cells:
            if c.kind not in ("setup", "answer"):
                continue
            source = c.source
            if c.grade_id in self.skip:
                source = f"raise RuntimeError({self.skip[c.grade_id]!r})"
            cells.append({"grade_id": c.grade_id, "source": source})
        return cells

    def start(self) -> bool:
        """Start a sandbox and run the cells; False when no usable process could be had."""
        while self.restarts <= self.limits.restarts and time.monotonic() < self.deadline:
            self.close()
            self.sandbox = Sandbox(self.limits, self.isolation, self.scratch)
            from .checks.optimizers import OPTIMIZER_TRIPWIRES  # torch kernels counted while grading

            self.sandbox.start(self._cells(), CHECK_MODULES, OPTIMIZER_TRIPWIRES)
            errors, stuck = self.sandbox.run_cells(self._cells(), self.deadline)
            self.cell_errors.update({k: v for k, v in errors.items() if v})
            if stuck is None:
                return True
            reason = self.sandbox.killed or "the Python process ended"
            self.output = self.sandbox.output_tail()
            self.problems.append(f"{reason} in cell {stuck}")
            self.cell_errors[stuck] = reason
            self.restarts += 1
            if stuck == "start-up":
                return False
            self.skip[stuck] = f"not run again: {reason}"
        return False

    def probe(self, name: str, kwargs: dict) -> dict:
        if self.sandbox is None or self.sandbox.proc is None:
            if not self.start():
                raise StudentCodeStopped("your code could not be run (see the notes)")
        assert self.sandbox is not None
        try:
            return self.sandbox.probe(name, kwargs, self.deadline)
        except ChildGone as gone:
            self.output = self.sandbox.output_tail()
            self.problems.append(f"{gone.reason} during a test")
            self.restarts += 1
            self.sandbox.close()
            self.sandbox = None
            raise StudentCodeStopped(f"your code stopped the Python process: {gone.reason}")

    def close(self) -> None:
        if self.sandbox is not None:
            self.output = self.sandbox.output_tail() or self.output
            self.sandbox.close()
            self.sandbox = None


def run_test(cell_source: str, grade_id: str, namespace: dict) -> tuple[bool, str, str, Optional[str]]:
    """Execute one trusted test cell: (passed, message, printed output, integrity flag)."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(cell_source, f"<test {grade_id}>", "exec"), dict(namespace))
    except core.IntegrityFlag as flag:
        return False, str(flag), printed.getvalue(), flag.flag
    except core.CheckFailure as failure:
        return False, str(failure), printed.getvalue(), None
    except core.ProbeError as error:
        return False, f"your code raised {error.describe()}", printed.getvalue(), None
    except StudentCodeStopped as stopped:
        return False, str(stopped), printed.getvalue(), None
    except Exception as error:  # a bug in a test must not take the class down: report it
        return False, f"internal error in test {grade_id}: {type(error).__name__}: {error}", printed.getvalue(), None
    return True, "", printed.getvalue(), None


def fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256(GRADER_VERSION.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def grade_submission(source_path: Path, folder: Path, student_id: str, assignment: str,
                     limits: Optional[Limits] = None, isolation: str = "auto",
                     scratch: Optional[Path] = None) -> SubmissionResult:
    """Grade `folder/<assignment notebook>` against the source notebook at `source_path`."""
    started = time.monotonic()
    limits = limits or Limits()
    result = SubmissionResult(student_id, assignment)
    source = load_source(source_path)
    program = build_program(source, {"cells": []})
    result.max_score = sum(c.points for c in program.tests())
    result.manual_max = sum(c.points for c in program.cells if c.kind == "manual")
    path, note = find_notebook(folder, source_path.name)
    if note:
        result.notes.append(note)
    if path is None:
        result.status = note or "no notebook"
        result.seconds = time.monotonic() - started
        return result
    try:
        submission = read_submission(path)
    except SubmissionError as error:
        result.status = str(error)
        result.fingerprint = fingerprint(source_path.read_bytes(), path.read_bytes() if path.is_file() else b"")
        result.seconds = time.monotonic() - started
        return result
    result.fingerprint = fingerprint(source_path.read_bytes(), path.read_bytes())
    program = build_program(source, submission)
    result.notes += program.notes
    result.manual_answers = {c.grade_id: c.source for c in program.cells if c.kind == "manual"}

    session = Session(program, limits, isolation, scratch)
    core.use_student(RemoteStudent(session))
    namespace = _test_namespace()
    try:
        session.start()
        for cell in program.tests():
            passed, message, printed, flag = run_test(cell.source, cell.grade_id, namespace)
            result.tests.append(TestResult(cell.grade_id, cell.points if passed else 0.0, cell.points, passed,
                                           message, cell.hidden, printed))
            if flag and flag not in result.flags:
                result.flags.append(flag)
    finally:
        session.close()
        core.use_student(None)
    result.cell_errors = session.cell_errors
    result.output = session.output
    result.score = sum(t.points for t in result.tests)
    problems = list(dict.fromkeys(session.problems))
    tampering = [n for n in program.notes if "test cell" in n or "missing" in n]
    status = problems + tampering + [n for n in result.notes if n.startswith("renamed")]
    result.status = "; ".join(status) if status else "ok"
    result.seconds = round(time.monotonic() - started, 3)
    return result


def result_json(result: SubmissionResult) -> str:
    return json.dumps(result.to_json(), indent=1, sort_keys=True)
