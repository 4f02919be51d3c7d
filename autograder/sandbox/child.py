"""The sandboxed side of grading: run the student's cells, then answer probe requests.

`prepare` runs once in the template process (zygote.py: torch, the checks and the switch-off, before
any sandbox exists); `serve` runs in each sandbox, a fork of it, inside its namespaces, as an
unprivileged user with no capabilities (enter.py). It talks to the grader over two inherited pipes,
one JSON object per line. Nothing it sends is
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
    """Import finder: torch's switched-off modules (switch_off.py) from their stubs, kept in memory (an
    import, a reload, a fresh spec all find them). Each is loaded under `path`: torch's own file where a
    stub is mounted over it (the sandbox: reading the file finds the stub too), else the stub's file."""

    def __init__(self, files: dict) -> None:
        self.stubs = {}  # module -> (the path it is loaded under, the stub's text)
        for name, entry in files.items():
            with open(entry["stub"]) as f:
                self.stubs[name] = (entry["path"], f.read())

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        import importlib.util

        if name not in self.stubs:
            return None
        where, text = self.stubs[name]
        return importlib.util.spec_from_file_location(name, where, loader=_StubLoader(where, text))


class _StubLoader:
    def __init__(self, path: str, text: str) -> None:
        self.path, self.text = path, text

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: object) -> None:
        exec(compile(self.text, self.path, "exec"), vars(module))
        module.__autograder_stub__ = True  # type: ignore[attr-defined]


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


def _check_stubbed(modules: list, header: str, isolated: bool) -> None:
    """Refuse to run the student's code when a module that must be switched off is torch's own (an
    import that missed the stub), or, in the sandbox, its file still reads as torch's (a mount that
    missed it): a loud start-up failure, never a silently weaker sandbox."""
    for name in modules:
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None) or ""
        if not getattr(module, "__autograder_stub__", False):
            raise SystemExit(f"grader setup: {name} ({path}) is torch's own module, not the stub")
        if isolated:
            with open(path) as f:
                if not f.readline().startswith(header):
                    raise SystemExit(f"grader setup: {name} ({path}) is torch's own file, not the stub")


def prepare(config: dict) -> None:
    """In the template, once: the trusted checks importable, torch imported with its switched-off
    modules replaced by their stubs and its switched-off kernels answered by one that raises, and
    what every sandbox would import anyway (the checks, numpy, plotly, torch._dynamo)."""
    sys.path.insert(0, config["trusted_path"])
    if config["stub_modules"]:
        sys.meta_path.insert(0, _Stubs(config["stub_modules"]))
    import torch  # noqa: F401  (before any student code: the probes need the real one)

    for name in config["stub_modules"]:
        __import__(name)
    _switch_off_kernels(config["kernels_off"], config["kernels_off_message"])
    import torch._dynamo  # noqa: F401  (the first optimizer built would import it: ~1 s in every sandbox)

    for name in ("numpy", "plotly.graph_objects"):
        try:
            __import__(name)
        except ImportError:
            pass
    from autograder_checks import core  # noqa: F401

    for module in config["check_modules"]:
        __import__(f"autograder_checks.{module}")


def serve(job: dict, request_fd: int, response_fd: int) -> int:
    """In a sandbox: run the cells, then answer probes until the grader closes the pipe."""
    requests = os.fdopen(request_fd, "r")
    responses = os.fdopen(response_fd, "w")
    os.umask(0o077)
    _check_stubbed(job["stubbed"]["modules"], job["stubbed"]["header"], job["isolated"])
    from autograder_checks import core

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
