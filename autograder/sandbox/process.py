"""Run a student's code in a separate, locked-down process and talk to it over pipes.

The process is a fork of a template that has imported torch (zygote.py); it enters the namespaces
and the filesystem view of `view.py` (enter.py; without namespaces, the limits alone), runs
`child.py` there, and answers probes until it is closed. Limits: wall
time per cell and per probe, memory (resident size of its whole process tree, plus an
address-space limit on the CPU), CPU seconds (a backstop for strays), size of any file it writes
(its printed output included), processes (root runs only); it dies with the grader
(parent-death signal) and is killed as a whole tree.

Without namespaces (`isolation="off"`, or where the kernel forbids them) only the limits apply:
the student's code then runs as the grader's user and can read what that user can (use it only
for trusted code, or on a machine that holds nothing else).
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from . import gpu_memory, switch_off, view
from .cgroups import Cgroup
from .channel import MAX_LINE, Channel, Closed, Garbled, Timeout
from .limits import Limits
from .view import INSIDE, UID_BASE
from .zygote import Spawned, Zygote, template


class ChildGone(Exception):
    """The student's process ended or was stopped; `reason` says why in a few words."""

    def __init__(self, reason: str, timed_out: bool = False, tampered: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out
        self.tampered = tampered


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WALL_FACTOR = 10  # a limit counts CPU time; code that waits without computing gets this many times more wall time
START_UP = 60.0  # seconds of CPU for the interpreter, torch and the checks to start (~2 s)


class Sandbox:
    """One student's process: runs the cells, then serves probes until closed."""

    def __init__(self, limits: Limits, isolation: str = "auto", scratch: Optional[Path] = None) -> None:
        self.limits = limits
        self.isolated = isolation == "on" or (isolation == "auto" and view.namespaces_available())
        if isolation == "on" and not view.namespaces_available():
            raise RuntimeError("isolation=on but this machine cannot create the sandbox's namespaces (see README)")
        self.scratch = scratch
        self.proc: Optional[Spawned] = None
        self.zygote: Optional[Zygote] = None
        self.work: Optional[Path] = None
        self.killed: Optional[str] = None
        self.timings: dict[str, float] = {}
        self.peak_rss = 0
        self.stop_reason: Optional[str] = None
        self.stray = 0  # messages during the cells that the child's loop never sends
        self.channel: Optional[Channel] = None
        self.cgroup: Optional[Cgroup] = None
        self.cgroup_note = ""  # why there is no cgroup, where there is none
        self._lock = threading.Lock()

    @property
    def uid(self) -> Optional[int]:
        """The unprivileged uid the student's code runs as (isolated root runs), else None (the grader's)."""
        return UID_BASE + os.getpid() if view.as_root() and self.isolated else None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, cells: list[dict], check_modules: list[str], tripwires: list[str],
              switched_off: Sequence[str] = ()) -> None:
        """Start the student's process: it runs `cells`, then answers probes. `switched_off`: torch's
        implementations the graded code must not be built on (switch_off.py), absent in the process.
        The process is a fork of this grader's template for that switch-off set (zygote.py)."""
        zygote = template(switched_off, check_modules, self.isolated, self.scratch)
        self.zygote = zygote
        self.work = Path(tempfile.mkdtemp(prefix="autograder-", dir=self.scratch))
        os.chmod(self.work, 0o711)
        uid = self.uid
        limits = self.limits
        tmpfs = view.tmpfs_sizes(limits.memory_mb)
        if self.isolated:
            home, root = INSIDE, self.work / "root"
            root.mkdir(mode=0o755)
            plan: Optional[list] = view.mount_plan(sys.executable, zygote.trusted, tmpfs, zygote.covers,
                                                   view.gpu_nodes() if view.cuda_present() else ())
        else:
            home, root, plan = str(self.work / "home"), self.work, None
            (self.work / "home").mkdir(mode=0o700)
        job = {"cells": cells, "tripwires": tripwires, "isolated": self.isolated,
               "stubbed": {"modules": zygote.stubbed, "header": switch_off.HEADER}}
        (self.work / "job.json").write_text(json.dumps(job))  # read before the fork enters its sandbox
        os.chmod(self.work / "job.json", 0o600)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "TMPDIR": "/tmp", "LANG": "C.UTF-8",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        for name in ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "LD_LIBRARY_PATH"):  # the driver may need the last
            if name in os.environ:
                env[name] = os.environ[name]
        self.output = open(self.work / "output.txt", "wb")
        self.cgroup, self.cgroup_note = Cgroup.create(f"{os.getpid()}-{self.work.name}", limits.memory_mb,
                                                      limits.cpus, limits.processes)
        group = self.cgroup
        use_as_limit = not view.cuda_present() and group is None  # CUDA reserves huge address space
        request = {"job": str(self.work / "job.json"), "plan": plan, "root": str(root), "uid": uid, "home": home,
                   "env": env, "cgroup": sorted({str(f) for f in group.folders.values()}) if group else [],
                   "limits": {"fsize": limits.output_mb << 20, "cpu": int(limits.total_timeout * 2 + 120),
                              "address_space": (limits.memory_mb + 3072) << 20 if use_as_limit else None,
                              # counts the sandbox uid's processes (root is exempt)
                              "processes": limits.processes if uid is not None else None}}
        # without a cgroup the tmpfs it writes is not seen in its resident memory: count them as used
        self.memory_cap = limits.memory_mb if group is not None else limits.memory_mb - sum(tmpfs.values())
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        self.started_at = time.monotonic()
        try:
            self.proc = Spawned(zygote, zygote.spawn(request, [req_r, resp_w, self.output.fileno()]))
        finally:
            os.close(req_r)
            os.close(resp_w)
        self.channel = Channel(req_w, resp_r)
        self.killed = None
        self._watch = threading.Thread(target=self._watch_memory, daemon=True)
        self._watch.start()

    def close(self) -> None:
        if self.proc is not None:
            self._kill("closed")
            if self.channel is not None:
                self.channel.close()
                self.channel = None
            self.output.close()
            self.proc = None
        if self.cgroup is not None:
            peak = self.cgroup.memory_peak()
            self.peak_rss = max(self.peak_rss, peak or 0)
            self.cgroup.remove()
            self.cgroup = None
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
        """The resident memory of the student's processes: below the sandbox's first two (enter.py),
        less what they share with the template they are forks of (its pages, counted in each)."""
        total = -self.zygote.baseline_rss
        for p in self._tree(pid)[2:]:
            try:
                with open(f"/proc/{p}/statm") as f:
                    total += int(f.read().split()[1]) * resource.getpagesize()
            except (OSError, ValueError, IndexError):
                continue
        return total

    def _watch_memory(self) -> None:
        proc, cap = self.proc, self.memory_cap << 20
        gpu = gpu_memory.Watch(self.limits.gpu_memory_mb) if view.cuda_present() else None
        while proc is not None and proc.poll() is None:
            rss = max(0, self._tree_rss(proc.pid))
            self.peak_rss = max(self.peak_rss, rss)
            if rss > cap:  # with a cgroup the kernel stops it first: this is the fallback
                self._kill(f"memory limit ({self.limits.memory_mb} MB) exceeded")
                return
            if gpu is not None and gpu.over(self._tree(proc.pid)):  # the device's memory: no cgroup sees it
                self._kill(f"GPU memory limit ({gpu.limit_mb} MB) exceeded")
                return
            time.sleep(0.05)

    # -- time -----------------------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        """CPU time the student's processes have used (the cgroup's count, else the live process tree's)."""
        if self.cgroup is not None:
            used = self.cgroup.cpu_seconds()
            if used is not None:
                return used
        total = 0
        for pid in self._tree(self.proc.pid) if self.proc is not None else []:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
                total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
            except (OSError, ValueError, IndexError):
                continue
        return total / CLOCK_TICKS

    # -- protocol -------------------------------------------------------------------------------
    def _read_message(self, cpu_limit: float, doing: str, deadline: float, most: int = MAX_LINE) -> dict:
        """The next message, within `cpu_limit` seconds of the sandbox's CPU time (what a correct cell
        needs, whatever the machine's load), WALL_FACTOR times that in wall time (code that waits
        without computing), and the submission's `deadline`."""
        assert self.channel is not None
        started, cpu_before = time.monotonic(), self.cpu_seconds()
        wall = max(0.1, min(cpu_limit * WALL_FACTOR, deadline - started))

        def expired() -> Optional[str]:
            if time.monotonic() - started > wall:
                return f"time limit: {doing} ran over {wall:.0f} s"
            if self.cpu_seconds() - cpu_before > cpu_limit:
                return f"time limit: {doing} used more than {cpu_limit:g} s of CPU time"
            return None

        try:
            return self.channel.receive(expired, lambda: self.proc is not None and self.proc.poll() is not None, most)
        except Timeout as timeout:
            self._kill(str(timeout))
            raise ChildGone(self.killed or "time limit", timed_out=True)
        except Closed:
            if self.proc is not None:
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            raise ChildGone(self.killed or self._exit_reason(doing))
        except Garbled as error:
            self._kill(f"protocol error: {error}")
            if str(error) == "oversized reply":  # more than any honest reply to the request: not read
                raise ChildGone(self.killed or "protocol error", tampered=True)
            raise ChildGone("the Python process sent garbled data (did the code write to its pipes?)")

    def _exit_reason(self, doing: str) -> str:
        if self.cgroup is not None and self.cgroup.oom_killed():
            return f"memory limit ({self.limits.memory_mb} MB) exceeded"
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return f"the Python process stopped answering during {doing}"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the Python process was killed by signal {name} during {doing}"
        if code >= 128 and code - 128 in signal.valid_signals():  # enter.py reports a killed child so
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
            limit = self.limits.cell_timeout if current else START_UP
            doing = f"cell {current}" if current else "start-up"
            try:
                message = self._read_message(limit, doing, deadline)
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
        if self.channel is None or not self.channel.unasked():
            return
        self._kill("protocol error: data nobody asked for")
        raise ChildGone("the sandbox sent data nobody asked for (written to its pipe?)", tampered=True)

    def probe(self, name: str, kwargs: dict, deadline: float, most: int = MAX_LINE) -> Any:
        """Send a probe; its reply, of at most `most` bytes (grading/replies.py's budget for it)."""
        if self.proc is None or self.proc.poll() is not None:
            raise ChildGone(self.killed or "the Python process is not running")
        assert self.channel is not None
        try:
            self.channel.send({"probe": name, "kwargs": kwargs})
        except OSError:
            raise ChildGone(self.killed or self._exit_reason(f"probe {name}"))
        return self._read_message(self.limits.probe_timeout, "a test of your code", deadline, most)
