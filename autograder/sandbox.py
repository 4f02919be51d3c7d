"""Run a student's code in a separate, locked-down process and talk to it over pipes.

Isolation (Linux; `isolation="auto"` uses it wherever the kernel allows the namespaces):
- new mount, PID, network, IPC and UTS namespaces (`unshare`); the process sees a fresh,
  read-only root holding only the system folders and the Python installation (read-only), its
  trusted grading code (`/grader`, read-only), and three small private tmpfs it may write: its
  working folder `/sandbox` (also HOME and the current directory), `/tmp` and `/dev/shm`. Not the
  course, the solutions, the gradebook, the other students' work, the host's /tmp or /dev/shm;
  of /dev only null, zero, full, random, urandom (and the GPU's nodes where there is one);
- an unprivileged identity: run by root, the grader gives each sandbox its own unused uid (so
  ownership protects every file and kernel knob root could otherwise write, and one sandbox's
  process count cannot starve another's); run by another user, a user namespace maps the
  sandbox to that same user; either way every capability is dropped and no_new_privs is set
  (`setpriv`), so it cannot undo any of this; no network;
- limits: wall time per cell and per probe, memory (resident size of its whole process tree,
  plus an address-space limit on the CPU), CPU seconds (a backstop for strays), size of any file
  it writes (its printed output included), processes (root runs only); it dies with the
  grader (parent-death signal) and is killed as a whole tree.
Without namespaces (`isolation="off"`, or where the kernel forbids them) only the limits apply:
the student's code then runs as the grader's user and can read what that user can (use it only
for trusted code, or on a machine that holds nothing else).
"""

import ctypes
import json
import os
import resource
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from . import switch_off

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
CHILD = Path(__file__).resolve().parent / "child.py"
INSIDE = "/sandbox"  # the student's writable working folder inside the sandbox
GRADER_INSIDE = "/grader"  # the trusted code and the job, read-only, inside the sandbox
MAX_LINE = 32 * 1024 * 1024  # one protocol message; far above any probe's data, far below harm
UID_BASE = 1_000_000  # run by root: sandbox uid = UID_BASE + the grading process's pid (unused by anyone)
TMPFS_MB = {"sandbox": 256, "tmp": 256, "shm": 64}  # private writable space (counts against RAM)


def _machine_memory_mb() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    except (ValueError, OSError, AttributeError):
        return 8192


def default_memory_mb() -> int:
    """Memory per submission: 2 GB (a solution needs ~0.4 GB: Python + torch), less where one worker
    per core would not fit in half the machine's memory; never under 1 GB."""
    per_worker = _machine_memory_mb() // 2 // max(1, os.cpu_count() or 1)
    return max(1024, min(2048, per_worker))


@dataclass
class Limits:
    cell_timeout: float = 60.0  # one cell of the student's
    probe_timeout: float = 60.0  # one probe (one test's use of the student's code)
    total_timeout: float = 600.0  # the whole submission
    memory_mb: int = default_memory_mb()  # resident memory of the student's process tree
    output_mb: int = 20  # any file it writes, its printed output included
    restarts: int = 3  # fresh processes after a crash or a timeout, per submission
    processes: int = 256  # processes and threads of the sandbox's uid (root runs only)


class ChildGone(Exception):
    """The student's process ended or was stopped; `reason` says why in a few words."""

    def __init__(self, reason: str, timed_out: bool = False, tampered: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out
        self.tampered = tampered


def _as_root() -> bool:
    return os.geteuid() == 0


_NAMESPACES_OK: dict = {}


def _unshare_args() -> list[str]:
    flags = ["--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child"]
    return ["unshare", *flags] if _as_root() else ["unshare", "--user", "--map-root-user", *flags]


def namespaces_available() -> bool:
    """Whether this kernel lets us create the sandbox's namespaces (checked once per identity)."""
    key = _as_root()
    if key not in _NAMESPACES_OK:
        try:
            ok = subprocess.run([*_unshare_args(), "--", "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        _NAMESPACES_OK[key] = ok and shutil.which("setpriv") is not None and shutil.which("chroot") is not None
    return _NAMESPACES_OK[key]


def _cuda_present() -> bool:
    return any(Path("/dev").glob("nvidia[0-9]*"))


def _visible_paths(python: str) -> list[str]:
    """The host folders the sandbox sees read-only: the system and the Python installation."""
    visible = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt/conda",
               sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(python).resolve().parent.parent)]
    for extra in sys.path:  # site-packages outside the prefixes (not the course: it is never visible)
        if extra and "site-packages" in extra and Path(extra).is_dir():
            visible.append(extra)
    done: list[str] = []
    for path in sorted(set(visible), key=len):
        if os.path.lexists(path) and not any(path == d or path.startswith(d + "/") for d in done):
            done.append(path)
    return done


def _setup_script(work: Path, python: str, argv: list[str], uid: Optional[int], home_owner: int,
                  covers: Sequence[tuple[Path, str]] = ()) -> str:
    """Shell run with the namespaces' privileges: build the new root, then become the student.

    `uid`: the unprivileged uid to run as (root runs), None to stay the namespace's mapped user.
    `covers`: (file, host path) pairs: the file is seen, read-only, in place of that host file (torch's
    implementations of the graded algorithms, switched off: see switch_off.py)."""
    q = shlex.quote
    root = work / "root"
    lines = ["set -e", f"R={q(str(root))}", "mount --make-rprivate /", 'mkdir -p "$R"',
             'mount -t tmpfs -o size=1m,mode=755 tmpfs "$R"',
             # the private /tmp first: a Python installation that lives under /tmp (a CI checkout
             # there, say) is then bound on top of it instead of being hidden by it
             'mkdir -p "$R/tmp"',
             f'mount -t tmpfs -o size={TMPFS_MB["tmp"]}m,mode=1777,nosuid,nodev tmpfs "$R/tmp"']
    for path in _visible_paths(python):
        if os.path.islink(path) and os.path.dirname(path) == "/":
            lines.append(f'ln -s {q(os.readlink(path))} "$R"{q(path)}')
            continue
        lines += [f'mkdir -p "$R"{q(path)}', f'mount --rbind {q(path)} "$R"{q(path)}',
                  f'mount -o remount,bind,ro "$R"{q(path)}']
    # submounts of those folders: read-only too (best effort: the top ones above must succeed)
    lines.append("for m in $(awk -v r=\"$R/\" 'index($5, r) == 1 && $5 != r \"tmp\" {print $5}' "
                 "/proc/self/mountinfo); do "
                 'mount -o remount,bind,ro "$m" 2>/dev/null || true; done')
    visible = _visible_paths(python)
    for file, host in covers:  # only files the sandbox would see at all
        if any(host.startswith(v.rstrip("/") + "/") for v in visible):
            lines.append(f'mount --bind {q(str(file))} "$R"{q(host)} && mount -o remount,bind,ro "$R"{q(host)}')
    devices = ["null", "zero", "full", "random", "urandom"]
    lines += [
        'mkdir -p "$R/dev" "$R/proc" "$R/sys" "$R/tmp" "$R' + INSIDE + '" "$R' + GRADER_INSIDE + '"',
        # /dev: a handful of harmless nodes, the GPU's where there is one, a private /dev/shm
        'mount -t tmpfs -o size=64k,mode=755 tmpfs "$R/dev"',
        *[f'touch "$R/dev/{d}" && mount --bind /dev/{d} "$R/dev/{d}"' for d in devices],
        'for d in /dev/nvidia*; do if [ -c "$d" ]; then touch "$R$d" && mount --bind "$d" "$R$d"; fi; done',
        'if [ -d /dev/nvidia-caps ]; then mkdir -p "$R/dev/nvidia-caps" && '
        'mount --rbind /dev/nvidia-caps "$R/dev/nvidia-caps"; fi',
        'ln -s /proc/self/fd "$R/dev/fd" && ln -s /proc/self/fd/0 "$R/dev/stdin" && '
        'ln -s /proc/self/fd/1 "$R/dev/stdout" && ln -s /proc/self/fd/2 "$R/dev/stderr"',
        'mkdir "$R/dev/shm"',
        f'mount -t tmpfs -o size={TMPFS_MB["shm"]}m,mode=1777,nosuid,nodev tmpfs "$R/dev/shm"',
        'mount -o remount,ro "$R/dev"',
        # /proc of the new PID namespace; its kernel knobs read-only
        'mount -t proc -o nosuid,nodev,noexec proc "$R/proc"',
        'mount --bind "$R/proc/sys" "$R/proc/sys" && mount -o remount,bind,ro "$R/proc/sys"',
        'if [ -e "$R/proc/sysrq-trigger" ]; then mount --bind /dev/null "$R/proc/sysrq-trigger" || true; fi',
        # /sys: a fresh read-only sysfs (no cgroup mounts under it), else the host's, read-only
        'mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" 2>/dev/null || '
        '{ mount --rbind /sys "$R/sys" && mount -o remount,bind,ro "$R/sys"; }',
        f'mount -t tmpfs -o size={TMPFS_MB["sandbox"]}m,mode=700,uid={home_owner},gid={home_owner},'
        f'nosuid,nodev tmpfs "$R{INSIDE}"',
        f'mount --bind {q(str(work / "trusted"))} "$R{GRADER_INSIDE}"',
        f'mount -o remount,bind,ro "$R{GRADER_INSIDE}"',
        'mount -o remount,ro "$R"',
    ]
    identity = ["--reuid", str(uid), "--regid", str(uid), "--clear-groups"] if uid is not None else []
    # not `exec`: this shell stays the namespace's first process, so the student's Python is an ordinary
    # process (the kernel spares the first one signals such as SIGABRT: os.abort() would not abort)
    lines.append('chroot "$R" setpriv ' + " ".join(identity) + " --bounding-set=-all --inh-caps=-all "
                 "--no-new-privs --pdeathsig=KILL -- " + " ".join(q(a) for a in [python, *argv]))
    return "\n".join(lines) + "\n"


def _set_parent_death_signal() -> None:
    """In a forked child: SIGKILL when the grading process dies (no sandbox outlives its grader)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Sandbox:
    """One student's process: runs the cells, then serves probes until closed."""

    def __init__(self, limits: Limits, isolation: str = "auto", scratch: Optional[Path] = None) -> None:
        self.limits = limits
        self.isolated = isolation == "on" or (isolation == "auto" and namespaces_available())
        if isolation == "on" and not namespaces_available():
            raise RuntimeError("isolation=on but this machine cannot create the sandbox's namespaces (see README)")
        self.scratch = scratch
        self.proc: Optional[subprocess.Popen] = None
        self.work: Optional[Path] = None
        self.killed: Optional[str] = None
        self.timings: dict[str, float] = {}
        self.peak_rss = 0
        self.stop_reason: Optional[str] = None
        self.stray = 0  # messages during the cells that the child's loop never sends
        self._buffer = b""
        self._lock = threading.Lock()

    @property
    def uid(self) -> Optional[int]:
        """The unprivileged uid the student's code runs as (isolated root runs), else None (the grader's)."""
        return UID_BASE + os.getpid() if _as_root() and self.isolated else None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, cells: list[dict], check_modules: list[str], tripwires: list[str],
              switched_off: Sequence[str] = ()) -> None:
        """Start the student's process: it runs `cells`, then answers probes. `switched_off`: torch's
        implementations the graded code must not be built on (switch_off.py), absent in the process."""
        self.work = Path(tempfile.mkdtemp(prefix="autograder-", dir=self.scratch))
        os.chmod(self.work, 0o711)
        uid = self.uid
        trusted = self.work / "trusted"
        shutil.copytree(CHECKS_DIR, trusted / "autograder_checks", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(CHILD, trusted / "child.py")
        for folder in [trusted, *trusted.rglob("*")]:
            os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
        if self.isolated:
            base, home = GRADER_INSIDE, INSIDE
        else:
            base, home = str(trusted), str(self.work / "home")
            (self.work / "home").mkdir(mode=0o700)
        covers, kernels, stub_files = switch_off.write_stubs(switched_off, self.work / "stubs")
        for path in [self.work / "stubs", *(self.work / "stubs").iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        job = {"cells": cells, "check_modules": check_modules, "tripwires": tripwires, "trusted_path": base,
               "home": home, "kernels_off": kernels, "kernels_off_message": switch_off.message("torch's kernel {}"),
               "stubbed": {"modules": sorted(stub_files), "header": switch_off.HEADER},
               # mounted over torch's files when isolated; else found first by the child's importer
               "stub_modules": {} if self.isolated else stub_files}
        (trusted / "job.json").write_text(json.dumps(job))
        os.chmod(trusted / "job.json", 0o644)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        argv = [f"{base}/child.py", f"{base}/job.json", str(req_r), str(resp_w)]
        python = sys.executable
        if self.isolated:
            setup = self.work / "setup.sh"
            setup.write_text(_setup_script(self.work, python, argv, uid, 0 if uid is None else uid, covers))
            cmd = [*_unshare_args(), "--", "/bin/sh", str(setup)]
        else:
            cmd = [python, *argv]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        if "CUDA_VISIBLE_DEVICES" in os.environ:
            env["CUDA_VISIBLE_DEVICES"] = os.environ["CUDA_VISIBLE_DEVICES"]
        self.output = open(self.work / "output.txt", "wb")
        limits = self.limits
        use_as_limit = not _cuda_present()
        cpu_seconds = int(limits.total_timeout * 2 + 120)

        def preexec() -> None:
            _set_parent_death_signal()
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_mb << 20, limits.output_mb << 20))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 10))
            if use_as_limit:  # CUDA reserves huge address space: on a GPU only the RSS watch applies
                cap = (limits.memory_mb + 3072) << 20
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            if uid is not None and self.isolated:  # counts the sandbox uid's processes (root is exempt)
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))

        self.started_at = time.monotonic()
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

    def _tree(self, pid: int) -> list[int]:
        """`pid` and all its descendants (host view)."""
        found, todo = [], [pid]
        while todo:
            p = todo.pop()
            found.append(p)
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        todo += [int(c) for c in f.read().split()]
            except (OSError, ValueError):
                continue
        return found

    def _kill(self, reason: str) -> None:
        with self._lock:
            if self.proc is None:
                return
            if self.killed is None:
                self.killed = reason
            # every process of the tree (one that left the process group too); killing the namespace's
            # first process ends all the others
            for pid in reversed(self._tree(self.proc.pid)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
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
        try:
            with open(self.work / "output.txt", "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - limit))
                data = f.read()
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    def output_full(self) -> bool:
        """Whether the printed output reached its size limit (later writes failed)."""
        try:
            return self.work is not None and \
                (self.work / "output.txt").stat().st_size >= (self.limits.output_mb << 20) - 65536
        except OSError:
            return False

    # -- memory ---------------------------------------------------------------------------------
    def _tree_rss(self, pid: int) -> int:
        total = 0
        for p in self._tree(pid):
            try:
                with open(f"/proc/{p}/statm") as f:
                    total += int(f.read().split()[1]) * resource.getpagesize()
            except (OSError, ValueError, IndexError):
                continue
        return total

    def _watch_memory(self) -> None:
        proc, cap = self.proc, self.limits.memory_mb << 20
        while proc is not None and proc.poll() is None:
            rss = self._tree_rss(proc.pid)
            self.peak_rss = max(self.peak_rss, rss)
            if rss > cap:
                self._kill(f"memory limit ({self.limits.memory_mb} MB) exceeded")
                return
            time.sleep(0.05)

    # -- protocol -------------------------------------------------------------------------------
    def _read_message(self, timeout: float, doing: str) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill(f"time limit: {doing} ran over {timeout:.0f} s")
                raise ChildGone(self.killed or "time limit", timed_out=True)
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
        except (ValueError, RecursionError):  # garbled, not UTF-8, nested too deep
            self._kill("protocol error: garbled reply")
            raise ChildGone("the Python process sent garbled data (did the code write to its pipes?)")
        if not isinstance(message, dict):
            self._kill("protocol error: garbled reply")
            raise ChildGone("the Python process sent garbled data (did the code write to its pipes?)")
        return message

    def _exit_reason(self, doing: str) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return f"the Python process stopped answering during {doing}"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the Python process was killed by signal {name} during {doing}"
        if code >= 128 and code - 128 in signal.valid_signals():  # unshare reports a killed child so
            return f"the Python process was killed by signal {signal.Signals(code - 128).name} during {doing}"
        return f"the Python process exited (code {code}) during {doing}"

    def run_cells(self, cells: list[dict], deadline: float) -> tuple[dict[str, Optional[str]], Optional[str]]:
        """Wait for the cells: (errors by grade_id, the grade_id of a cell that never finished).

        Messages the child's loop never sends (a "ready" before every cell is done, unknown cells,
        no event at all) were written by the student's code: they are ignored and counted in
        `stray`."""
        errors: dict[str, Optional[str]] = {}
        current = None
        expected = [c["grade_id"] for c in cells]
        first_event: Optional[float] = None
        while True:
            remaining = max(0.1, deadline - time.monotonic())
            timeout = min(self.limits.cell_timeout, remaining) if current else min(120.0, remaining)
            doing = f"cell {current}" if current else "start-up"
            try:
                message = self._read_message(timeout, doing)
            except ChildGone as gone:
                self.stop_reason = gone.reason
                self._time(first_event)
                return errors, current or ("start-up" if first_event is None else "between cells")
            if first_event is None:
                first_event = time.monotonic()
            event = message.get("event")
            grade_id = str(message.get("grade_id"))[:200]
            if event == "cell" and grade_id in expected and grade_id not in errors and current is None:
                current = grade_id
            elif event == "cell_done" and grade_id == current:
                error = message.get("error")
                errors[grade_id] = None if error is None else str(error)[:2000]
                current = None
            elif event == "ready" and current is None and len(errors) == len(expected):
                self._time(first_event)
                return errors, None
            else:
                self.stray += 1

    def _time(self, first_event: Optional[float]) -> None:
        now = time.monotonic()
        first = first_event or now
        self.timings = {"start": first - self.started_at, "cells": now - first}

    def check_quiet(self) -> None:
        """Between probes the sandbox has nothing to say: data waiting now was sent by something
        other than the probe loop (the student's code writing to the pipe), so later replies would
        not match their requests. Raise ChildGone(tampered=True) after stopping the process."""
        if not self._buffer:
            try:
                if not select.select([self._responses], [], [], 0)[0]:
                    return
                chunk = os.read(self._responses, 1 << 20)
            except (OSError, ValueError):
                return
            if not chunk:  # the end of the pipe: the process is gone, which the probe will report
                return
            self._buffer += chunk
        self._kill("protocol error: data nobody asked for")
        raise ChildGone("the sandbox sent data nobody asked for (written to its pipe?)", tampered=True)

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
