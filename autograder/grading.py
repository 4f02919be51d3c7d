"""Grade one submission: the student's cells in the sandbox, the tests here, in a clean process.

The tests (the source notebook's test cells, visible and hidden) run in *this* process, which
never executes student code; they reach the student's code only through probes answered by the
sandbox with plain data. So nothing the submission does at run time can change a comparison,
a reference or a test, and a crash, a hang or a memory blow-up costs only the tests it touches.

The sandbox's answers are data from a process the student's code controls: before a check sees
one, it must have exactly the shape the probe returns for those arguments (`check_reply`), so a
tampered sandbox that answers with, say, an empty trajectory fails instead of passing vacuously.
To pass it must send the right numbers, which takes a working implementation of its own: torch's
implementation of the graded algorithm is switched off in the sandbox (switch_off.py), and a call
of it is flagged (`uses-torch-implementation`). Code that reaches into the interpreter is flagged
for a human (`suspicious-code`: the grade is not changed by it).
"""

import ast
import contextlib
import functools
import hashlib
import inspect
import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from . import switch_off
from .checks import core, declared
from .notebook import Program, SubmissionError, build_program, find_notebook, load_source, read_submission
from .sandbox import ChildGone, Limits, Sandbox

GRADER_VERSION = "2"
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
    # where the time went: sandbox start-up (process, namespaces, imports), the student's cells,
    # the tests (probes included), and how many times the sandbox was started
    timings: dict[str, float] = field(default_factory=dict)
    peak_memory_mb: float = 0.0  # largest resident size of the student's process tree seen

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
        data["tests"] = [TestResult(**t) for t in data.get("tests", [])]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _test_namespace() -> dict:
    """What a test cell can call: the public names of every checks module, plus torch/numpy/math."""
    import importlib

    namespace: dict[str, Any] = {"torch": torch, "np": np, "numpy": np, "math": math}
    for module_name in ["core", *CHECK_MODULES]:
        module = importlib.import_module(f"autograder.checks.{module_name}")
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    return namespace


# -- the shape of the sandbox's answers ----------------------------------------------------------

def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _nested_shape(value: Any) -> Optional[list]:
    """The shape of a rectangular nested list of numbers (a tensor's `tolist()`), else None."""
    if _is_number(value):
        return []
    if not isinstance(value, list):
        return None
    shapes = [_nested_shape(v) for v in value]
    if any(s is None for s in shapes) or any(s != shapes[0] for s in shapes[1:]):
        return None
    if not shapes:
        return [0]
    return [len(value), *shapes[0]]


def _strings(value: Any, n: Optional[int] = None) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value) and (n is None or len(value) == n)


def _shape_optimizer_run(args: dict, data: dict) -> Optional[str]:
    shapes = [list(s) for g in args["groups"] for s in g["shapes"]]
    steps, n = int(args["steps"]), len(shapes)

    def params_ok(entry: Any, allow_none: bool) -> bool:
        return isinstance(entry, list) and len(entry) == n and all(
            (allow_none and v is None) or _nested_shape(v) == s for v, s in zip(entry, shapes))

    trajectory = data.get("trajectory")
    if not isinstance(trajectory, list) or len(trajectory) != steps:
        return f"the trajectory should have {steps} steps"
    if not all(params_ok(entry, False) for entry in trajectory):
        return f"each step should hold {n} parameters of shapes {shapes}"
    grads = data.get("grads")
    if not isinstance(grads, list) or len(grads) != (steps if args.get("check_grads") else 0) \
            or not all(params_ok(entry, True) for entry in grads):
        return "the gradients do not match the steps and parameters"
    returned = data.get("returned")
    if not isinstance(returned, list) or len(returned) != steps \
            or not all(r is None or _is_number(r) or isinstance(r, str) for r in returned):
        return f"there should be {steps} return values"
    losses = data.get("losses")
    if not isinstance(losses, list) or len(losses) != (steps if args.get("closure") else 0) \
            or not all(v is None or _is_number(v) for v in losses):
        return "the losses do not match the steps"
    if not (_strings(data.get("dtypes"), n) and _strings(data.get("devices"), n)
            and isinstance(data.get("device"), str) and _strings(data.get("torch_calls"))):
        return "dtypes, devices or torch calls malformed"
    return None


def _shape_optimizer_construct(args: dict, data: dict) -> Optional[str]:
    raised = data.get("raised")
    if raised is None:
        group = data.get("group")
        if not isinstance(group, dict) or not all(isinstance(k, str) for k in group):
            return "no parameter group"
        return None
    if not isinstance(raised, str) or not isinstance(data.get("message"), str):
        return "malformed exception"
    return None


def _shape_class_info(args: dict, data: dict) -> Optional[str]:
    if not isinstance(data.get("is_class"), bool) or not _strings(data.get("mro")):
        return "malformed class information"
    return None


# Probes whose answers are checked field by field (the probes the optimizer chapters use). Every
# other probe's answer must still be a JSON object; its checks compare it with the reference.
REPLY_SHAPES = {
    "optimizer_run": _shape_optimizer_run,
    "optimizer_construct": _shape_optimizer_construct,
    "class_info": _shape_class_info,
}


def check_reply(name: str, kwargs: dict, data: Any) -> Optional[str]:
    """Why `data` cannot be what probe `name` returns for `kwargs` (None: it can be)."""
    shape = REPLY_SHAPES.get(name)
    if shape is None:
        return None
    if not isinstance(data, dict):
        return "not a JSON object"
    try:  # the probe's arguments with its own defaults filled in (the grader has the same module)
        bound = inspect.signature(core.PROBES[name]).bind(None, **kwargs)
        bound.apply_defaults()
        args = dict(bound.arguments)
    except (KeyError, TypeError):
        return None
    try:
        return shape(args, data)
    except (KeyError, TypeError, ValueError) as error:
        return f"unexpected content ({type(error).__name__})"


# -- code that reaches into the grading machinery ----------------------------------------------------

_SUSPICIOUS_NAMES = {
    "autograder_checks", "PROBES", "TRIPWIRES", "run_probe", "install_tripwires", "tripwire_counts", "use_student",
    "settrace", "setprofile", "_getframe", "f_locals", "f_globals", "f_back", "f_trace", "__kwdefaults__",
    "__closure__", "__globals__", "__code__", "get_referrers", "get_referents", "get_objects", "_exit", "fork",
    "forkpty", "setsid", "setpgid", "fdopen", "dup2", "pidfd_open", "TransformerManager",
    "input_transformers_cleanup", "input_transformers_post", "addaudithook",
}
_SUSPICIOUS_MODULES = {"gc", "ctypes", "importlib", "subprocess", "multiprocessing", "signal", "pty", "socket",
                       "_thread", "builtins", "posix", "mmap", "resource"}
_SUSPICIOUS_CALLS = {"exec", "eval", "compile", "__import__", "breakpoint", "globals", "vars"}
_BY_NAME = {"getattr", "setattr", "delattr", "hasattr"}  # suspicious with a name computed at run time


def suspicious_code(sources: list[str]) -> list[str]:
    """What in the answers reaches into the interpreter or the grading process (for a human to look
    at; it changes no grade): frame and trace hooks, the probes, raw file descriptors, exits..."""
    hits: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
                hits.add(node.id)
            elif isinstance(node, ast.Attribute):
                if node.attr in _SUSPICIOUS_NAMES:
                    hits.add(node.attr)
                elif isinstance(node.value, ast.Name) and (node.value.id, node.attr) in {
                        ("sys", "modules"), ("os", "write"), ("os", "kill"), ("os", "abort"), ("sys", "exit"),
                        ("os", "system"), ("os", "execv"), ("os", "execve"), ("os", "close")}:
                    hits.add(f"{node.value.id}.{node.attr}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                hits.update(n for n in names if n.split(".")[0] in _SUSPICIOUS_MODULES)
                hits.update(a.name for a in node.names if a.name in _SUSPICIOUS_NAMES)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _SUSPICIOUS_CALLS:
                hits.add(f"{node.func.id}()")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BY_NAME \
                    and len(node.args) >= 2 and not (isinstance(node.args[1], ast.Constant)
                                                     and isinstance(node.args[1].value, str)):
                hits.add(f"{node.func.id}(computed name)")  # e.g. getattr(torch.ops.aten, "_fused_" + "adam_")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "/proc/" in node.value or "/dev/fd" in node.value or "autograder" in node.value):
                hits.add(repr(node.value[:40]))
    return sorted(hits)


class RemoteStudent:
    """`student()` for the checks: probes go to the sandbox; a dead sandbox fails the test."""

    def __init__(self, session: "Session") -> None:
        self.session = session

    def probe(self, name: str, **kwargs: Any) -> Any:
        reply = self.session.probe(name, kwargs)
        if core.SWITCHED_OFF_MARK in json.dumps(reply):  # the code called a stub of torch's own (switch_off.py)
            self.session.switched_off_calls.append(f"{name}: {str(reply)[:300]}")
        error = reply.get("error")
        if "ok" in reply:
            problem = check_reply(name, kwargs, reply["ok"])
        elif not isinstance(error, dict):
            problem = "neither an answer nor an error"
        else:
            raise core.ProbeError(str(error.get("kind", "Error"))[:100], str(error.get("message", ""))[:2000],
                                  str(error.get("where", ""))[:300])
        if problem:
            raise self.session.tampering(name, kwargs, problem)
        return reply["ok"]

    def sources(self, name: str) -> list[str]:
        """The answer cells that define `name` (as a class, function or assignment at the top level of
        the cell; every copy of a repeated cell), else every answer cell: what the own-work check reads."""
        answers = [c.source for c in self.session.program.cells if c.kind == "answer"]
        defining = [s for s in answers if name in _top_level_names(s)]
        return defining or answers


def _top_level_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


class StudentCodeStopped(Exception):
    """The student's process died or hung during a test: that test fails with this reason."""


class Session:
    """The sandbox for one submission, restarted (a bounded number of times) after a crash.

    A cell that crashed or hung the process is not run again (it raises instead). A probe that
    ran over its time limit is not sent again for the same code (same probe, same class or
    function): later tests of it fail at once, so one endless loop costs one time limit, and the
    rest of the submission is still graded."""

    def __init__(self, program: Program, limits: Limits, isolation: str, scratch: Optional[Path]) -> None:
        self.program, self.limits, self.isolation, self.scratch = program, limits, isolation, scratch
        self.deadline = time.monotonic() + limits.total_timeout
        self.sandbox: Optional[Sandbox] = None
        self.skip: dict[str, str] = {}  # cells that hung or crashed the process: not run again
        self.hung: dict[tuple, str] = {}  # (probe, target) that ran over the time limit
        self.cell_errors: dict[str, str] = {}
        self.problems: list[str] = []
        self.tampered: list[str] = []  # answers from the sandbox that no honest probe gives
        self.switched_off_calls: list[str] = []  # answers that met torch's code switched off (switch_off.py)
        self.restarts = 0
        self.starts = 0
        self.last_key: Optional[tuple] = None
        self.gave_up = False
        self.output = ""
        self.timings = {"start": 0.0, "cells": 0.0}
        self.peak_rss = 0

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

    def _account(self, sandbox: Sandbox) -> None:
        for key, value in sandbox.timings.items():
            self.timings[key] = self.timings.get(key, 0.0) + value
        sandbox.timings = {}
        self.peak_rss = max(self.peak_rss, sandbox.peak_rss)
        if sandbox.stray:
            self.tampered.append(f"{sandbox.stray} message(s) during the cells that the grading code never sends")
            sandbox.stray = 0
        if sandbox.output_full() and not any(p.startswith("output limit") for p in self.problems):
            self.problems.append(f"output limit ({self.limits.output_mb} MB) reached: later output was lost")

    def start(self) -> bool:
        """Start a sandbox and run the cells; False when no usable process could be had."""
        self.last_key = None
        while not self.gave_up and self.restarts <= self.limits.restarts and time.monotonic() < self.deadline:
            self.close()
            self.sandbox = Sandbox(self.limits, self.isolation, self.scratch)
            self.starts += 1
            cells = self._cells()
            self.sandbox.start(cells, CHECK_MODULES, _tripwires(), _switched_off(tuple(self.program.check_modules)))
            errors, stuck = self.sandbox.run_cells(cells, self.deadline)
            self._account(self.sandbox)
            self.cell_errors.update({k: v for k, v in errors.items() if v and k not in self.skip})
            if stuck is None:
                return True
            reason = self.sandbox.killed or self.sandbox.stop_reason or "the Python process ended"
            self.output = self.sandbox.output_tail()
            self.problems.append(f"{reason} in cell {stuck}" if stuck not in reason else reason)
            self.restarts += 1
            if stuck in ("start-up", "between cells"):
                self.gave_up = True
                break
            self.cell_errors[stuck] = reason
            self.skip[stuck] = f"not run again: {reason}"
        self.close()
        if not self.gave_up and self.problems and not self.problems[-1].startswith("gave up"):
            self.problems.append("gave up restarting the Python process")
        self.gave_up = True
        return False

    @staticmethod
    def _target(name: str, kwargs: dict) -> tuple:
        return (name, str(kwargs.get("cls", kwargs.get("fn", kwargs.get("name", "")))))

    def tampering(self, name: str, kwargs: dict, problem: str) -> Exception:
        """An answer no honest sandbox sends: stop that process (its replies are no longer to be
        trusted to match the requests) and fail this and later probes of the same code at once."""
        key = self._target(name, kwargs)
        self.tampered.append(f"{name} ({key[1]}): {problem}")
        self.hung[key] = f"the sandbox's answers for {key[1] or name} were tampered with"
        if self.sandbox is not None:
            self._account(self.sandbox)
            self.sandbox.close()
            self.sandbox = None
        return core.ProbeError("MalformedReply", f"the sandbox's answer is not what the grading code sends "
                                                 f"({problem}); was the grading code in the sandbox changed?")

    def probe(self, name: str, kwargs: dict) -> dict:
        key = self._target(name, kwargs)
        for attempt in range(2):
            if key in self.hung:
                raise StudentCodeStopped(f"not run: {self.hung[key]} in an earlier test")
            if self.sandbox is None or self.sandbox.proc is None:
                if self.gave_up or not self.start():
                    raise StudentCodeStopped("your code could not be run (see the status)")
            assert self.sandbox is not None
            try:
                self.sandbox.check_quiet()
            except ChildGone as gone:  # written by the code that ran for the previous probe (or a stray)
                blamed = self.last_key
                if blamed is None:
                    self.tampered.append(f"after the cells: {gone.reason}")
                else:
                    self.tampered.append(f"{blamed[0]} ({blamed[1]}): {gone.reason}")
                    self.hung[blamed] = f"the sandbox's answers for {blamed[1] or blamed[0]} were tampered with"
                self._account(self.sandbox)
                self.sandbox.close()
                self.sandbox = None
                self.restarts += 1
                continue  # this probe is not to blame: ask a fresh process
            self.last_key = key
            try:
                return self.sandbox.probe(name, kwargs, self.deadline)
            except ChildGone as gone:
                self.output = self.sandbox.output_tail()
                self._account(self.sandbox)
                self.problems.append(f"{gone.reason} ({key[1] or name})")
                if gone.timed_out:
                    self.hung[key] = f"{key[1] or name} ran over the time limit"
                self.restarts += 1
                self.sandbox.close()
                self.sandbox = None
                raise StudentCodeStopped(f"your code stopped the Python process: {gone.reason}")
        raise StudentCodeStopped(f"not run: {self.hung.get(key, 'the sandbox was tampered with')}")

    def close(self) -> None:
        if self.sandbox is not None:
            self._account(self.sandbox)
            self.output = self.sandbox.output_tail() or self.output
            self.sandbox.close()
            self.sandbox = None


def _tripwires() -> list[str]:
    """Every check module's list of torch callables to count (names ending in _TRIPWIRES)."""
    return declared(CHECK_MODULES, "_TRIPWIRES")


@functools.lru_cache(maxsize=None)
def _switched_off(check_modules: tuple[str, ...]) -> list[str]:
    """What the sandbox switches off for an assignment whose tests use these check modules."""
    return declared(check_modules, "_SWITCHED_OFF")


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


@functools.lru_cache(maxsize=None)
def _grader_digest() -> bytes:
    """The grading code itself (every module of the package, the checks included) and torch's version:
    a result graded by other code is not reused on resume."""
    digest = hashlib.sha256(f"{GRADER_VERSION} torch {torch.__version__}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.digest()


def fingerprint(*parts: bytes) -> str:
    """Of a grading: the grader's code, the source notebook's and the submission's bytes."""
    digest = hashlib.sha256(_grader_digest())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def grade_submission(source_path: Path, folder: Path, student_id: str, assignment: str,
                     limits: Optional[Limits] = None, isolation: str = "auto",
                     scratch: Optional[Path] = None) -> SubmissionResult:
    """Grade `folder/<assignment notebook>` against the source notebook at `source_path`.

    Never raises for a bad submission and never writes into `folder`: whatever happened is in
    `status` ("ok" when nothing noteworthy did), `notes`, `flags` and the tests' messages."""
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
        result.seconds = round(time.monotonic() - started, 3)
        return result
    notes: list[str] = []
    try:
        submission = read_submission(path, notes)
    except SubmissionError as error:
        result.status = str(error) if not note else f"{error}; {note}"
        result.fingerprint = fingerprint(source_path.read_bytes(), _file_bytes(path))
        result.seconds = round(time.monotonic() - started, 3)
        return result
    result.fingerprint = fingerprint(source_path.read_bytes(), _file_bytes(path))
    program = build_program(source, submission)
    result.notes += notes + program.notes
    result.manual_answers = {c.grade_id: c.source for c in program.cells if c.kind == "manual"}
    suspicious = suspicious_code([c.source for c in program.cells if c.kind == "answer"])
    if suspicious:
        result.flags.append("suspicious-code")
        result.notes.append(f"code to look at (it does not change the grade): {', '.join(suspicious[:12])}")

    session = Session(program, limits, isolation, scratch)
    core.use_student(RemoteStudent(session))
    namespace = _test_namespace()
    tests_started = tests_sandbox = 0.0
    try:
        session.start()
        tests_started, tests_sandbox = time.monotonic(), sum(session.timings.values())
        for cell in program.tests():
            passed, message, printed, flag = run_test(cell.source, cell.grade_id, namespace)
            result.tests.append(TestResult(cell.grade_id, cell.points if passed else 0.0, cell.points, passed,
                                           message, cell.hidden, printed))
            if flag and flag not in result.flags:
                result.flags.append(flag)
    finally:
        session.close()
        core.use_student(None)
    called = session.switched_off_calls + [e for e in session.cell_errors.values() if core.SWITCHED_OFF_MARK in e]
    if called:  # whichever test met it, and whether or not a check named it
        result.flags.append(switch_off.FLAG)
        result.notes.append(f"torch's own implementation called (switched off while grading): {called[0][:300]}")
    tests_time = time.monotonic() - tests_started - (sum(session.timings.values()) - tests_sandbox)
    result.timings = {"start": round(session.timings["start"], 3), "cells": round(session.timings["cells"], 3),
                      "tests": round(max(0.0, tests_time), 3), "sandboxes": session.starts}
    result.peak_memory_mb = round(session.peak_rss / 2**20, 1)
    result.cell_errors = session.cell_errors
    result.output = session.output
    result.score = sum(t.points for t in result.tests)
    status = list(dict.fromkeys(session.problems))
    if session.tampered:  # the details (which may name a hidden case's size) in the notes, not the status
        status.append("answers from the sandbox that the grading code never sends: the tests that got them failed")
        result.notes.append("tampering: " + "; ".join(t[:200] for t in session.tampered[:5]))
        result.flags.append("sandbox-tampering")
    status += [n for n in result.notes if not n.startswith(("code to look at", "tampering: ", "torch's own"))]
    result.status = "; ".join(status) if status else "ok"
    result.seconds = round(time.monotonic() - started, 3)
    return result


def result_json(result: SubmissionResult) -> str:
    return json.dumps(result.to_json(), indent=1, sort_keys=True)
