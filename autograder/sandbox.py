"""Run a student's code in a separate, locked-down process and talk to it over pipes.

Isolation (Linux; `isolation="auto"` uses it wherever unprivileged user namespaces work):
- new user, mount, PID, network and IPC namespaces (`unshare`); the process sees a fresh root
  holding only the system folders, the Python installation (read-only) and its own scratch folder
  (read-write): not the course, the solutions, the gradebook or the other students' work;
- every capability dropped (`setpriv`), so it cannot undo any of that; no network;
- limits: wall time per cell and per probe, memory (resident size of its whole process tree,
  plus an address-space limit on the CPU), size of any file it writes (its output included).
Without namespaces (`isolation="off"`, or where the kernel forbids them) only the limits apply.
"""

import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
CHILD = Path(__file__).resolve().parent / "child.py"
INSIDE = "/sandbox"  # the scratch folder's path inside the sandbox
MAX_LINE = 64 * 1024 * 1024


@dataclass
class Limits:
    cell_timeout: float = 60.0  # one cell of the student's
    probe_timeout: float = 60.0  # one probe (one test's use of the student's code)
    total_timeout: float = 600.0  # the whole submission
    memory_mb: int = 4096  # resident memory of the student's process tree
    output_mb: int = 20  # any file it writes, its printed output included
    restarts: int = 3  # fresh processes after a crash or a timeout, per submission


class ChildGone(Exception):
    """The student's process ended or was stopped; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_NAMESPACES_OK: list = []


def namespaces_available() -> bool:
    """Whether this kernel lets us create the sandbox's namespaces (checked once)."""
    if not _NAMESPACES_OK:
        try:
            ok = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--net",
                                 "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        _NAMESPACES_OK.append(ok and shutil.which("setpriv") is not None)
    return _NAMESPACES_OK[0]


def _cuda_present() -> bool:
    return any(Path("/dev").glob("nvidia[0-9]*"))


def _setup_script(work: Path, python: str, argv: list[str]) -> str:
    """Shell run as root of the new user namespace: build the new root, then drop every capability."""
    root = work / ".root"
    lines = ["set -e", f"R={root}", "mount --make-rprivate /", 'mkdir -p "$R"',
             'mount -t tmpfs -o size=1m,mode=755 tmpfs "$R"']
    visible = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt/conda",
               sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(python).resolve().parent.parent)]
    for extra in sys.path:  # site-packages outside the prefixes (not the course: it is never visible)
        if extra and "site-packages" in extra and Path(extra).is_dir():
            visible.append(extra)
    done: list[str] = []
    for path in sorted(set(visible), key=len):
        if not os.path.lexists(path) or any(path == d or path.startswith(d + "/") for d in done):
            continue
        done.append(path)
        if os.path.islink(path) and os.path.dirname(path) == "/":
            lines.append(f'ln -s {os.readlink(path)} "$R{path}"')
            continue
        lines += [f'mkdir -p "$R{path}"', f'mount --rbind {path} "$R{path}"',
                  f'mount -o remount,bind,ro "$R{path}" || true']
    lines += [
        'mkdir -p "$R/dev" "$R/proc" "$R/sys" "$R/tmp" "$R' + INSIDE + '"',
        'mount --rbind /dev "$R/dev"',
        'mount -t proc proc "$R/proc"',
        'mount --rbind /sys "$R/sys" && mount -o remount,bind,ro "$R/sys" || true',
        'mount -t tmpfs -o size=256m tmpfs "$R/tmp"',
        f'mount --bind {work} "$R{INSIDE}"',
        'mount -o remount,ro "$R"',
        f'cd "$R{INSIDE}"',
        'exec chroot "$R" setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- '
        + " ".join(json.dumps(a) for a in [python, *argv]),
    ]
    return "\n".join(lines) + "\n"


class Sandbox:
    """One student's process: runs the cells, then serves probes until closed."""

    def __init__(self, limits: Limits, isolation: str = "auto", scratch: Optional[Path] = None) -> None:
        self.limits = limits
        self.isolated = isolation == "on" or (isolation == "auto" and namespaces_available())
        if isolation == "on" and not namespaces_available():
            raise RuntimeError("isolation=on but this machine cannot create user namespaces (see README)")
        self.scratch = scratch
        self.proc: Optional[subprocess.Popen] = None
        self.work: Optional[Path] = None
        self.killed: Optional[str] = None
        self._buffer = b""

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, cells: list[dict], check_modules: list[str], tripwires: list[str]) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="autograder-", dir=self.scratch))
        os.chmod(self.work, 0o755)
        trusted = self.work / "trusted"
        shutil.copytree(CHECKS_DIR, trusted / "autograder_checks", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(CHILD, trusted / "child.py")
        base = INSIDE if self.isolated else str(self.work)
        job = {"cells": cells, "check_modules": check_modules, "tripwires": tripwires,
               "trusted_path": f"{base}/trusted"}
        (self.work / "job.json").write_text(json.dumps(job))
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        argv = [f"{base}/trusted/child.py", f"{base}/job.json", str(req_r), str(resp_w)]
        python = sys.executable
        if self.isolated:
            (self.work / "setup.sh").write_text(_setup_script(self.work, python, argv))
            cmd = ["unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--net", "--ipc",
                   "--kill-child", "--", "/bin/sh", str(self.work / "setup.sh")]
        else:
            cmd = [python, *argv]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": base, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        if "CUDA_VISIBLE_DEVICES" in os.environ:
            env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
        self.output = open(self.work / "output.txt", "wb")
        limits = self.limits
        use_as_limit = not _cuda_present()

        def preexec() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_mb << 20, limits.output_mb << 20))
            if use_as_limit:  # CUDA reserves huge address space: on a GPU only the RSS watch applies
                cap = (limits.memory_mb + 3072) << 20
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        self.proc = subprocess.Popen(cmd, pass_fds=(req_r, resp_w), stdin=subprocess.DEVNULL, stdout=self.output,
                                     stderr=subprocess.STDOUT, cwd=self.work, env=env, preexec_fn=preexec,
                                     start_new_session=True)
        os.close(req_r)
        os.close(resp_w)
        self._requests = os.fdopen(req_w, "w")
        self._responses = resp_r
        self.killed = None
        self._buffer = b""
        self._watch = threading.Thread(target=self._watch_memory, daemon=True)
        self._watch.start()

    def close(self) -> None:
        if self.proc is not None:
            self._kill("closed")
            try:
                self._requests.close()
            except OSError:
                pass
            os.close(self._responses)
            self.output.close()
            self.proc = None
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None

    def _kill(self, reason: str) -> None:
        if self.proc is None:
            return
        if self.killed is None:
            self.killed = reason
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def output_tail(self, limit: int = 4000) -> str:
        """The end of what the student's code printed."""
        if self.work is None:
            return ""
        data = (self.work / "output.txt").read_bytes()[-limit:]
        return data.decode("utf-8", "replace")

    # -- memory ---------------------------------------------------------------------------------
    def _tree_rss(self, pid: int) -> int:
        total, todo = 0, [pid]
        while todo:
            p = todo.pop()
            try:
                with open(f"/proc/{p}/statm") as f:
                    total += int(f.read().split()[1]) * resource.getpagesize()
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        todo += [int(c) for c in f.read().split()]
            except (OSError, ValueError, IndexError):
                continue
        return total

    def _watch_memory(self) -> None:
        proc, cap = self.proc, self.limits.memory_mb << 20
        while proc is not None and proc.poll() is None:
            if self._tree_rss(proc.pid) > cap:
                self._kill(f"memory limit ({self.limits.memory_mb} MB) exceeded")
                return
            time.sleep(0.05)

    # -- protocol -------------------------------------------------------------------------------
    def _read_message(self, timeout: float, doing: str) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill(f"timeout: {doing} ran over {timeout:.0f} s")
                raise ChildGone(self.killed or "timeout")
            ready, _, _ = select.select([self._responses], [], [], min(remaining, 0.5))
            if not ready:
                if self.proc is not None and self.proc.poll() is not None:
                    raise ChildGone(self.killed or self._exit_reason(doing))
                continue
            chunk = os.read(self._responses, 1 << 20)
            if not chunk:
                if self.proc is not None:
                    try:
                        self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
                raise ChildGone(self.killed or self._exit_reason(doing))
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE:
                self._kill("protocol error: oversized reply")
                raise ChildGone(self.killed or "protocol error")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._kill("protocol error: garbled reply")
            raise ChildGone("the Python process sent garbled data (did the code write to its pipes?)")
        if not isinstance(message, dict):
            raise ChildGone("the Python process sent garbled data")
        return message

    def _exit_reason(self, doing: str) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return f"the Python process stopped answering during {doing}"
        if code < 0:
            return f"the Python process was killed by signal {signal.Signals(-code).name} during {doing}"
        return f"the Python process exited (code {code}) during {doing}"

    def run_cells(self, cells: list[dict], deadline: float) -> tuple[dict[str, Optional[str]], Optional[str]]:
        """Wait for the cells: (errors by grade_id, the grade_id of a cell that never finished)."""
        errors: dict[str, Optional[str]] = {}
        current = None
        while True:
            remaining = max(0.1, deadline - time.monotonic())
            timeout = min(self.limits.cell_timeout, remaining) if current else min(120.0, remaining)
            doing = f"cell {current}" if current else "start-up"
            try:
                message = self._read_message(timeout, doing)
            except ChildGone:
                return errors, current or "start-up"
            event = message.get("event")
            if event == "cell":
                current = str(message.get("grade_id"))
            elif event == "cell_done":
                errors[str(message.get("grade_id"))] = message.get("error")
                current = None
            elif event == "ready":
                return errors, None

    def probe(self, name: str, kwargs: dict, deadline: float) -> Any:
        if self.proc is None or self.proc.poll() is not None:
            raise ChildGone(self.killed or "the Python process is not running")
        try:
            self._requests.write(json.dumps({"probe": name, "kwargs": kwargs}) + "\n")
            self._requests.flush()
        except (BrokenPipeError, OSError):
            raise ChildGone(self.killed or self._exit_reason(f"probe {name}"))
        timeout = max(0.1, min(self.limits.probe_timeout, deadline - time.monotonic()))
        return self._read_message(timeout, "a test of your code")
