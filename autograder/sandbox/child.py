"""The sandboxed side of grading: run the student's cells, then answer probe requests.

Started by `process.py` inside its namespaces, as an unprivileged user with no capabilities. It
talks to the grader over two inherited pipes, one JSON object per line. Nothing it sends is
trusted: the student's code runs in this process and could rewrite any of it, so the grader only
reads data from it, checks that the data has the shape the probe returns, and compares it with
references it computes itself.

    child -> grader: {"event": "cell", "grade_id": ...}          (about to run that cell)
                     {"event": "cell_done", "grade_id": ..., "error": null | "Kind: message"}
                     {"event": "ready"}
    grader -> child: {"probe": name, "kwargs": {...}}
    child -> grader: {"ok": data} | {"error": {"kind": ..., "message": ..., "where": ...}}
"""

import builtins
import json
import linecache
import os
import sys
import traceback


def _send(out, message: dict) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _error_text(error: BaseException, grade_id: str) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == f"<cell {grade_id}>"]
    where = f" (line {frames[-1].lineno}: {(frames[-1].line or '').strip()})" if frames else ""
    if isinstance(error, SyntaxError):
        where = f" (line {error.lineno}: {(error.text or '').strip()})"
    try:
        text = str(error)
    except BaseException:  # an exception whose __str__ raises
        text = "(no message)"
    return f"{type(error).__name__}: {text[:1000]}{where}"


class _NoShell:
    """`get_ipython()` for transformed magics: shell escapes and magics do nothing while grading."""

    def system(self, *args: object, **kwargs: object) -> None:
        return None

    def run_line_magic(self, *args: object, **kwargs: object) -> None:
        return None

    def run_cell_magic(self, *args: object, **kwargs: object) -> None:
        return None


class _Stubs:
    """Import finder: the given modules from the given files (torch's modules switched off, see switch_off.py)."""

    def __init__(self, files: dict) -> None:
        self.files = files

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        import importlib.util

        file = self.files.get(name)
        return importlib.util.spec_from_file_location(name, file) if file else None


def _switch_off_kernels(names: list, message: str) -> None:
    """Answer torch's own kernels of the graded algorithms (every overload, in place or not, CPU and CUDA)
    with one that raises. The registration lasts as long as its handle; the handle gets one extra
    reference and is then dropped: it is not tracked by the garbage collector, so no code in this
    process can find it to undo the registration."""
    import ctypes
    import warnings

    import torch

    if not names:
        return
    handle = torch._C._dispatch_library("IMPL", "aten", "")
    for base in names:
        for name in dict.fromkeys([base, base.rstrip("_")]):
            packet = getattr(torch.ops.aten, name, None)
            if packet is None:
                continue

            def switched_off(*args: object, _text: str = message.format(f"aten::{name}"), **kwargs: object) -> None:
                raise RuntimeError(_text)

            for overload in packet.overloads():
                for key in ("CPU", "CUDA"):
                    with warnings.catch_warnings():  # "overriding a previously registered kernel": the point
                        warnings.simplefilter("ignore")
                        handle.impl(name if overload == "default" else f"{name}.{overload}", key, switched_off, False)
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(handle))
    del handle


def _check_stubbed(modules: list, header: str) -> None:
    """Refuse to run the student's code when a module that must be switched off was loaded from torch's
    own file (a mount that missed it): a loud start-up failure, never a silently weaker sandbox."""
    import importlib

    for name in modules:
        path = getattr(importlib.import_module(name), "__file__", None) or ""
        with open(path) as f:
            if not f.readline().startswith(header):
                raise SystemExit(f"grader setup: {name} ({path}) is torch's own file, not the stub")


def main() -> int:
    job_path, request_fd, response_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(job_path) as f:
        job = json.load(f)
    requests = os.fdopen(request_fd, "r")
    responses = os.fdopen(response_fd, "w")
    sys.path.insert(0, job["trusted_path"])
    os.umask(0o077)
    try:
        os.chdir(job["home"])  # the student's writable working folder
    except OSError:
        pass

    if job["stub_modules"]:  # no mounts (isolation off): the stubs of torch's modules are found first
        sys.meta_path.insert(0, _Stubs(job["stub_modules"]))
    import torch  # noqa: F401  (imported before student code: the probes need the real one)

    _switch_off_kernels(job["kernels_off"], job["kernels_off_message"])
    _check_stubbed(job["stubbed"]["modules"], job["stubbed"]["header"])
    from autograder_checks import core
    for module in job["check_modules"]:
        __import__(f"autograder_checks.{module}")
    core.install_tripwires(job["tripwires"])

    namespace: dict = {"__name__": "__main__", "__builtins__": builtins, "get_ipython": _NoShell}
    for cell in job["cells"]:
        _send(responses, {"event": "cell", "grade_id": cell["grade_id"]})
        error = None
        try:
            filename, source = f"<cell {cell['grade_id']}>", cell["source"]  # IPython syntax: made Python already
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # for tracebacks
            code = compile(source, filename, "exec")
            exec(code, namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too: a cell cannot end grading
            error = _error_text(exc, cell["grade_id"])
        _send(responses, {"event": "cell_done", "grade_id": cell["grade_id"], "error": error})
    _send(responses, {"event": "ready"})

    for line in requests:
        request = json.loads(line)
        try:
            data = core.run_probe(namespace, request["probe"], request["kwargs"])
            reply = {"ok": data}
        except core.ProbeError as exc:
            reply = {"error": {"kind": exc.kind, "message": exc.message[:2000], "where": exc.where}}
        except BaseException as exc:  # SystemExit inside a probe: report, keep serving
            reply = {"error": {"kind": type(exc).__name__, "message": _error_text(exc, "")[:2000], "where": ""}}
        try:
            _send(responses, reply)
        except (TypeError, ValueError) as exc:  # data that is not JSON (a tampered probe): say so
            _send(responses, {"error": {"kind": "ProtocolError", "message": str(exc)[:200], "where": ""}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
