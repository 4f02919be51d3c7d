"""The grader's side of one submission's sandbox: start it, run the cells, send probes, survive
crashes and tampering.

`Session` owns the sandbox process (restarted a bounded number of times after a crash); `RemoteStudent`
is what the checks call `student()`: each probe goes to the sandbox and its reply is checked for
shape (replies.py) before any check reads it.
"""

import functools
import json
import time
from pathlib import Path
from typing import Any, Optional

from ..checks import CHECK_MODULES, core, declared
from ..sandbox import ChildGone, Limits, Sandbox
from ..submission.program import Program
from ..submission.screening import defining_sources
from .replies import budget, check_reply


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
        return defining_sources([c.source for c in self.session.program.cells if c.kind == "answer"], name)


def as_python(source: str) -> str:
    """A cell's IPython syntax (magics, !shell) as plain Python, done here: the sandbox has no IPython.
    The transformation only rewrites text (to calls of get_ipython(), which do nothing while grading)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # a cell IPython cannot parse stays as it is: running it reports its error
        return source


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
            source = as_python(c.source)
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
            self._keep_output(self.sandbox)
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
                return self.sandbox.probe(name, kwargs, self.deadline, budget(name, kwargs))
            except ChildGone as gone:
                if gone.tampered:  # a reply longer than any honest one to this request (left unread)
                    raise self.tampering(name, kwargs, f"a reply over its size budget ({budget(name, kwargs)} bytes)")
                self._keep_output(self.sandbox)
                self._account(self.sandbox)
                self.problems.append(f"{gone.reason} ({key[1] or name})")
                if gone.timed_out:
                    self.hung[key] = f"{key[1] or name} ran over the time limit"
                self.restarts += 1
                self.sandbox.close()
                self.sandbox = None
                raise StudentCodeStopped(f"your code stopped the Python process: {gone.reason}")
        raise StudentCodeStopped(f"not run: {self.hung.get(key, 'the sandbox was tampered with')}")

    def _keep_output(self, sandbox: Sandbox) -> None:
        """What this process printed, after what the earlier ones of the submission printed (a crash's
        last lines are what a student needs to see)."""
        if getattr(sandbox, "output_kept", False):
            return
        sandbox.output_kept = True  # type: ignore[attr-defined]
        text = sandbox.output_tail()
        if text:
            separator = f"\n---- Python process {self.starts} (the one before ended) ----\n" if self.output else ""
            self.output = (self.output + separator + text)[-12000:]

    def close(self) -> None:
        if self.sandbox is not None:
            self._account(self.sandbox)
            self._keep_output(self.sandbox)
            self.sandbox.close()
            self.sandbox = None


def _tripwires() -> list[str]:
    """Every check module's list of torch callables to count (names ending in _TRIPWIRES)."""
    return declared(CHECK_MODULES, "_TRIPWIRES")


@functools.lru_cache(maxsize=None)
def _switched_off(check_modules: tuple[str, ...]) -> list[str]:
    """What the sandbox switches off for an assignment whose tests use these check modules."""
    return declared(check_modules, "_SWITCHED_OFF")
