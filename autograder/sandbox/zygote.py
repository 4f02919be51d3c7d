"""The template every sandbox is forked from: a process that has imported torch, the checks and the
switch-off once, and never runs anything of a student's.

Importing torch takes a sandbox one to two seconds (and torch._dynamo, which the first optimizer
imports, as much again); a fork of a process that has done it takes milliseconds. Each fork then
enters its own namespaces, root, identity, cgroup and limits (enter.py) before the student's cells
run, and is thrown away after the submission: nothing passes from one student to the next, since
the template itself holds nothing of any student's (it never receives the tests, the source notebook
or a result; only each sandbox's own job, after the fork).

The grader talks to its template over a Unix socket (one JSON message each, the sandbox's pipes
passed along): "spawn" gets the new sandbox's pid back, and the template reports each sandbox's end
(its exit status) as it reaps it. One template per grading process and switch-off set; it dies with
its grader.
"""

import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional, Sequence

from . import switch_off

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"
MAX_MESSAGE = 1 << 20
READY_TIMEOUT = 300.0  # importing torch on a very busy machine


class TemplateGone(Exception):
    """The template process could not start or died; the message says why."""


def _torch_file(module: str) -> str:
    """The path Python imports `module` from (links not resolved: the sandbox shows the same paths)."""
    import importlib.util

    return os.path.abspath(importlib.util.find_spec(module).origin)  # type: ignore[union-attr, arg-type]


def _set_parent_death_signal() -> None:
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Zygote:
    """The grader's handle on one template process."""

    def __init__(self, switched_off: Sequence[str], check_modules: Sequence[str], isolated: bool,
                 scratch: Optional[Path] = None) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="autograder-template-", dir=scratch))
        os.chmod(self.work, 0o711)
        trusted = self.work / "trusted"
        shutil.copytree(CHECKS_DIR, trusted / "autograder_checks", ignore=shutil.ignore_patterns("__pycache__"))
        switch_off.strip_references(trusted / "autograder_checks")
        self.covers, kernels, stub_files = switch_off.write_stubs(switched_off, self.work / "stubs")
        for path in [trusted, *trusted.rglob("*"), self.work / "stubs", *(self.work / "stubs").iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        self.trusted = trusted
        self.stubbed = sorted(stub_files)
        config = {"trusted_path": str(trusted), "check_modules": list(check_modules), "kernels_off": kernels,
                  "kernels_off_message": switch_off.message("torch's kernel {}"),
                  # where the sandbox covers torch's file with the stub, the module carries torch's path
                  "stub_modules": {m: {"path": _torch_file(m) if isolated else f, "stub": f}
                                   for m, f in stub_files.items()}}
        (self.work / "config.json").write_text(json.dumps(config))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.sandbox.zygote", str(theirs.fileno()),
                                      str(self.work / "config.json")], pass_fds=(theirs.fileno(),), env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.work / "template.log", "wb"),
                                     preexec_fn=_set_parent_death_signal, start_new_session=True)
        theirs.close()
        self.socket = ours
        self.exits: dict[int, int] = {}
        self._lock = threading.Lock()
        self._ready()

    def _ready(self) -> None:
        message = self._receive(READY_TIMEOUT)
        if message.get("ready") is not True:
            raise TemplateGone(f"the sandbox template did not start: {message}")
        self.baseline_rss = int(message.get("rss", 0))

    def _receive(self, timeout: float) -> dict:
        """The next message that is not an exit report (those are kept in `exits`)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.socket], [], [], remaining)[0]:
                raise TemplateGone(f"the sandbox template did not answer in {timeout:.0f} s{self._log()}")
            data = self.socket.recv(MAX_MESSAGE)
            if not data:
                raise TemplateGone(f"the sandbox template ended{self._log()}")
            message = json.loads(data)
            if "exit" in message:
                self.exits[int(message["exit"])] = int(message["status"])
                continue
            return message

    def _log(self) -> str:
        try:
            text = (self.work / "template.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""
        return f": {text}" if text else ""

    def collect(self) -> None:
        """Read the exit reports waiting now."""
        with self._lock:
            while select.select([self.socket], [], [], 0)[0]:
                data = self.socket.recv(MAX_MESSAGE)
                if not data:
                    return
                message = json.loads(data)
                if "exit" in message:
                    self.exits[int(message["exit"])] = int(message["status"])

    def spawn(self, request: dict, fds: Sequence[int]) -> int:
        """Start a sandbox (see `_spawn` for the request) with these file descriptors as its pipes and
        output; its pid (on the host)."""
        with self._lock:
            socket.send_fds(self.socket, [json.dumps(request).encode()], list(fds))
            message = self._receive(60)
        if "pid" not in message:
            raise TemplateGone(f"the sandbox template could not start a sandbox: {message.get('error', message)}")
        return int(message["pid"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            self.socket.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.work, ignore_errors=True)


class Spawned:
    """A sandbox started by a template, with the parts of `subprocess.Popen` the sandbox uses."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote, self.pid = zygote, pid
        self.returncode: Optional[int] = None

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            self.zygote.collect()
            status = self.zygote.exits.pop(self.pid, None)
            if status is not None:
                self.returncode = status
            elif not self.zygote.alive():
                self.returncode = -signal.SIGKILL  # the template died, and its sandboxes with it
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("sandbox", timeout or 0)
            time.sleep(0.01)
        assert self.returncode is not None
        return self.returncode


_TEMPLATES: dict[tuple, Zygote] = {}


def template(switched_off: Sequence[str], check_modules: Sequence[str], isolated: bool,
             scratch: Optional[Path] = None) -> Zygote:
    """This process's template for that switch-off set (started on first use, restarted if it died)."""
    key = (tuple(switched_off), tuple(check_modules), isolated, os.getpid())
    zygote = _TEMPLATES.get(key)
    if zygote is None or not zygote.alive():
        zygote = _TEMPLATES[key] = Zygote(switched_off, check_modules, isolated, scratch)
    return zygote


def close_templates() -> None:
    for zygote in _TEMPLATES.values():
        zygote.close()
    _TEMPLATES.clear()


# -- the template process itself --------------------------------------------------------------------

def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _apply_limits(limits: dict) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 10))
    if limits.get("address_space"):
        resource.setrlimit(resource.RLIMIT_AS, (limits["address_space"], limits["address_space"]))
    if limits.get("processes"):
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))


def _sandbox(request: dict, fds: list[int], server: socket.socket) -> None:
    """In the forked child: the sandbox's pipes and output in place, then into the sandbox (or, without
    isolation, the limits alone) and the student's cells. Never returns."""
    from . import child, enter

    try:
        server.close()
        req_r, resp_w, output = fds
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.setsid()
        _set_parent_death_signal()
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
        keep = {0, 1, 2, req_r, resp_w}
        for fd in range(3, 1024):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        job = json.loads(Path(request["job"]).read_text())
        os.environ.clear()
        os.environ.update(request["env"])

        def setup() -> None:
            for folder in request.get("cgroup", []):
                with open(os.path.join(folder, "cgroup.procs"), "w") as f:
                    f.write("0")
            _apply_limits(request["limits"])

        def run() -> int:
            return child.serve(job, req_r, resp_w)

        if request["plan"] is None:  # no isolation: the limits alone, as the grader's user
            setup()
            os.chdir(request["home"])
            os._exit(run())
        enter.enter(request["plan"], request["root"], request["uid"], request["home"], run, setup)
    except BaseException as error:
        try:
            os.write(2, f"sandbox setup failed: {type(error).__name__}: {error}\n".encode())
        finally:
            os._exit(70)


def serve(fd: int, config_path: str) -> None:
    """The template's loop: prepare once, then fork a sandbox per request and report each one's end."""
    from . import child

    _set_parent_death_signal()
    server = socket.socket(fileno=fd)
    try:
        child.prepare(json.loads(Path(config_path).read_text()))
    except BaseException as error:
        server.send(json.dumps({"ready": False, "error": f"{type(error).__name__}: {error}"}).encode())
        raise
    server.send(json.dumps({"ready": True, "rss": _rss()}).encode())
    children: set[int] = set()
    while True:
        ready = select.select([server], [], [], 0.1)[0]
        while children:  # report the sandboxes that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            children.discard(pid)
            server.send(json.dumps({"exit": pid, "status": os.waitstatus_to_exitcode(status)}).encode())
        if not ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(server, MAX_MESSAGE, 8)
        except OSError:
            return
        if not data:  # the grader closed its end: end, and the sandboxes with us (their parent-death signal)
            return
        try:
            request = json.loads(data)
            pid = os.fork()
        except BaseException as error:
            server.send(json.dumps({"error": f"{type(error).__name__}: {error}"}).encode())
            for f in fds:
                os.close(f)
            continue
        if pid == 0:
            _sandbox(request, fds, server)
        for f in fds:
            os.close(f)
        children.add(pid)
        server.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
