"""Grade one submission: the student's cells in the sandbox, the tests here, in a clean process.

The tests (the source notebook's test cells, visible and hidden) run in *this* process, which
never executes student code; they reach the student's code only through probes answered by the
sandbox with plain data. So nothing the submission does at run time can change a comparison,
a reference or a test, and a crash, a hang or a memory blow-up costs only the tests it touches.

To pass, the sandbox must send the right numbers, which takes a working implementation of its own:
torch's implementation of the graded algorithm is switched off in the sandbox
(sandbox/switch_off.py), and a call of it is flagged (`uses-torch-implementation`). Code that
reaches into the interpreter is flagged for a human (`suspicious-code`: the grade is not changed by it).
"""

import os
import time
from pathlib import Path
from typing import Optional

from ..checks import core
from ..results import SubmissionResult, TestResult
from ..sandbox import Limits, switch_off, view
from ..submission.choose import Choice, choose_notebook
from ..submission.program import INFORMATIVE_NOTES, build_program
from ..submission.read import SubmissionError, load_source, parse_submission, read_notebook_bytes
from ..submission.screening import suspicious_code
from .fingerprint import file_bytes, fingerprint
from .runner import namespace_for_tests, run_test
from .session import RemoteStudent, Session


def grade_submission(source_path: Path, folder: Path, student_id: str, assignment: str,
                     limits: Optional[Limits] = None, isolation: str = "auto",
                     scratch: Optional[Path] = None) -> SubmissionResult:
    """Grade `folder/<assignment notebook>` against the source notebook at `source_path`.

    Never raises for a bad submission and never writes into `folder`: whatever happened is in
    `status` ("ok" when nothing noteworthy did), `notes`, `flags` and the tests' messages."""
    return grade_choice(source_path, choose_notebook(folder, source_path.name), student_id, assignment, limits,
                        isolation, scratch)


def grade_choice(source_path: Path, choice: Choice, student_id: str, assignment: str,
                 limits: Optional[Limits] = None, isolation: str = "auto",
                 scratch: Optional[Path] = None) -> SubmissionResult:
    """Grade the notebook `choice` names (see choose.py; a choice of none gives a result saying why)."""
    started = time.monotonic()
    limits = limits or Limits()
    result = SubmissionResult(student_id, assignment)
    source_bytes = source_path.read_bytes()
    source = load_source(source_path)
    result.max_score, result.manual_max = build_program(source, {"cells": []}).max_scores()
    if choice.note:
        result.notes.append(choice.note)
    if choice.path is None:
        result.status = choice.note or "no notebook"
        result.seconds = round(time.monotonic() - started, 3)
        return result
    notes: list[str] = []
    raw = b""
    try:
        raw = read_notebook_bytes(choice.path)
        submission = parse_submission(raw, notes)
    except SubmissionError as error:  # fingerprinted too: a resumed run keeps this verdict
        result.fingerprint = fingerprint(source_bytes, raw or file_bytes(choice.path))
        result.status = str(error) if not choice.note else f"{error}; {choice.note}"
        result.seconds = round(time.monotonic() - started, 3)
        return result
    result.fingerprint = fingerprint(source_bytes, raw)
    program = build_program(source, submission)
    result.notes += notes + program.notes
    result.flags += program.flags
    result.manual_answers = program.manual_answers()
    suspicious = suspicious_code([c.source for c in program.cells if c.kind == "answer"])
    if suspicious:
        result.flags.append("suspicious-code")
        result.notes.append(f"code to look at (it does not change the grade): {', '.join(suspicious[:12])}")

    session = Session(program, limits, isolation, scratch)
    core.use_student(RemoteStudent(session))
    namespace = namespace_for_tests()
    tests_started = tests_sandbox = 0.0
    try:
        session.start()
        tests_started, tests_sandbox = time.monotonic(), sum(session.timings.values())
        for cell in program.tests():
            passed, message, printed, flag = run_test(cell.source, cell.grade_id, namespace)
            result.tests.append(TestResult(cell.grade_id, cell.points if passed else 0.0, cell.points, passed,
                                           message, cell.hidden, printed, cell.title))
            if flag and flag not in result.flags:
                result.flags.append(flag)
    finally:
        session.close()
        core.use_student(None)
    # Only what the graded code did while the tests drove it counts against it: a comparison with
    # torch's in a cell (a student's own check) stops that cell, which its error says, and costs nothing else.
    if session.switched_off_calls:
        result.flags.append(switch_off.FLAG)
        result.notes.append(f"torch's own implementation called by the graded code (switched off while grading): "
                            f"{session.switched_off_calls[0][:300]}")
    for grade_id, error in session.cell_errors.items():
        if core.SWITCHED_OFF_MARK in error:
            result.notes.append(f"torch's own implementation called in cell {grade_id} (switched off while grading): "
                                f"the rest of that cell did not run")
    tests_time = time.monotonic() - tests_started - (sum(session.timings.values()) - tests_sandbox)
    result.timings = {"start": round(session.timings["start"], 3), "cells": round(session.timings["cells"], 3),
                      "tests": round(max(0.0, tests_time), 3), "sandboxes": session.starts}
    result.peak_memory_mb = round(session.peak_rss / 2**20, 1)
    result.device = _device()
    result.cell_errors = session.cell_errors
    result.output = session.output
    result.score = sum(t.points for t in result.tests)
    status = list(dict.fromkeys(session.problems))
    if session.tampered:  # the details (which may name a hidden case's size) in the notes, not the status
        status.append("answers from the sandbox that the grading code never sends: the tests that got them failed")
        result.notes.append("tampering: " + "; ".join(t[:200] for t in session.tampered[:5]))
        result.flags.append("sandbox-tampering")
    status += [n for n in result.notes
               if not n.startswith(("code to look at", "tampering: ", "torch's own", *INFORMATIVE_NOTES))]
    result.status = "; ".join(status) if status else "ok"
    result.seconds = round(time.monotonic() - started, 3)
    return result



def _device() -> str:
    """Where the probes' `device="auto"` lands: the GPU(s) this worker is pinned to, else the CPU."""
    if not view.cuda_present():
        return "cpu"
    return f"cuda (CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'all')})"
