"""One cgroup per sandbox: its memory (the tmpfs files and shared memory it writes count too), a CPU
share, a process count, and the CPU time it used (what the time limits count: the same for correct
code whatever else the machine is doing).

cgroup v1 (a hierarchy per controller: memory, cpu, cpuacct, pids) and v2 (one unified hierarchy)
are both supported; the sandbox's cgroup is made under the grader's own, so the machine's own
accounting (a container's, a batch job's) still covers it. Where neither can be written (no root,
v2 controllers not delegated to the grader), `create` says why and the sandbox falls back to
watching the resident memory of its processes, with its tmpfs sizes taken off the memory limit.
"""

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

CONTROLLERS = ("memory", "cpu", "cpuacct", "pids")
PERIOD_US = 100_000


def _mounts(mountinfo: str) -> dict[str, Path]:
    """{controller (v1) or "unified" (v2): its mount point}, from /proc/self/mountinfo's text."""
    found: dict[str, Path] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        mount_point, fstype, options = Path(fields[4]), tail[0], set(tail[2].split(","))
        if fstype == "cgroup2":
            found.setdefault("unified", mount_point)
        elif fstype == "cgroup":
            for controller in CONTROLLERS:
                if controller in options:
                    found.setdefault(controller, mount_point)
    return found


def _membership(text: str) -> dict[str, str]:
    """{controller or "unified": this process's cgroup path}, from /proc/self/cgroup's text."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        number, _, rest = line.partition(":")
        names, _, path = rest.partition(":")
        if number == "0" and names == "":
            found["unified"] = path
        for name in names.split(","):
            if name in CONTROLLERS:
                found[name] = path
    return found


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read(path: Path) -> str:
    with open(path) as f:
        return f.read()


@dataclass
class Cgroup:
    version: int
    folders: dict[str, Path] = field(default_factory=dict)  # controller -> the sandbox's folder (v2: "unified")

    @classmethod
    def create(cls, name: str, memory_mb: int, cpus: float, pids: int,
               proc: Path = Path("/proc/self")) -> tuple[Optional["Cgroup"], str]:
        """A new cgroup `name` under this process's own, with the limits set; or (None, why not)."""
        try:
            mounts = _mounts(_read(proc / "mountinfo"))
            member = _membership(_read(proc / "cgroup"))
        except OSError as error:
            return None, f"cgroups unreadable ({error.strerror})"
        if all(c in mounts and c in member for c in ("memory", "cpu", "pids")):
            return cls._create_v1(name, mounts, member, memory_mb, cpus, pids)
        if "unified" in mounts and "unified" in member:
            return cls._create_v2(name, mounts["unified"] / member["unified"].lstrip("/"), memory_mb, cpus, pids)
        return None, "no cgroup controllers for memory, cpu and pids"

    @classmethod
    def _create_v1(cls, name: str, mounts: dict, member: dict, memory_mb: int, cpus: float,
                   pids: int) -> tuple[Optional["Cgroup"], str]:
        group = cls(1)
        try:
            for controller in CONTROLLERS:
                if controller not in mounts:
                    continue
                folder = mounts[controller] / member.get(controller, "/").lstrip("/") / "autograder" / name
                if controller == "cpuacct" and mounts["cpuacct"] == mounts["cpu"]:
                    group.folders[controller] = group.folders["cpu"]  # co-mounted: one folder
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                group.folders[controller] = folder
            memory = group.folders["memory"]
            _write(memory / "memory.limit_in_bytes", str(memory_mb << 20))
            if (memory / "memory.memsw.limit_in_bytes").exists():  # no swapping out of the limit
                _write(memory / "memory.memsw.limit_in_bytes", str(memory_mb << 20))
            _write(group.folders["cpu"] / "cpu.cfs_period_us", str(PERIOD_US))
            _write(group.folders["cpu"] / "cpu.cfs_quota_us", str(int(cpus * PERIOD_US)))
            _write(group.folders["pids"] / "pids.max", str(pids))
        except OSError as error:
            group.remove()
            return None, f"cgroup v1 not writable ({error.strerror})"
        return group, ""

    @classmethod
    def _create_v2(cls, name: str, ours: Path, memory_mb: int, cpus: float,
                   pids: int) -> tuple[Optional["Cgroup"], str]:
        try:
            enabled = set(_read(ours / "cgroup.subtree_control").split())
            wanted = {"memory", "cpu", "pids"}
            if not wanted <= enabled:
                _write(ours / "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(wanted - enabled)))
        except OSError as error:
            return None, (f"cgroup v2 controllers not delegated to the grader ({error.strerror}): run it in a "
                          f"cgroup of its own, e.g. systemd-run --scope -p Delegate=yes")
        group = cls(2)
        try:
            folder = ours / "autograder" / name
            if not (ours / "autograder").exists():
                (ours / "autograder").mkdir()
                _write(ours / "autograder" / "cgroup.subtree_control", "+memory +cpu +pids")
            folder.mkdir()
            group.folders["unified"] = folder
            _write(folder / "memory.max", str(memory_mb << 20))
            if (folder / "memory.swap.max").exists():
                _write(folder / "memory.swap.max", "0")
            _write(folder / "cpu.max", f"{int(cpus * PERIOD_US)} {PERIOD_US}")
            _write(folder / "pids.max", str(pids))
        except OSError as error:
            group.remove()
            return None, f"cgroup v2 not writable ({error.strerror})"
        return group, ""

    def attach(self, pid: int = 0) -> None:
        """Put process `pid` (0: the caller) in the cgroup; its children follow it."""
        for folder in set(self.folders.values()):
            _write(folder / "cgroup.procs", str(pid))

    def cpu_seconds(self) -> Optional[float]:
        """CPU time used by every process that was ever in the cgroup (the dead ones too)."""
        try:
            if self.version == 1:
                return int(_read(self.folders["cpuacct"] / "cpuacct.usage")) / 1e9
            stat = dict(line.split() for line in _read(self.folders["unified"] / "cpu.stat").splitlines())
            return int(stat["usage_usec"]) / 1e6
        except (OSError, KeyError, ValueError):
            return None

    def memory_peak(self) -> Optional[int]:
        """The most memory the cgroup has held, in bytes (v2 kernels without memory.peak: now)."""
        try:
            if self.version == 1:
                return int(_read(self.folders["memory"] / "memory.max_usage_in_bytes"))
            folder = self.folders["unified"]
            peak = folder / "memory.peak"
            return int(_read(peak if peak.exists() else folder / "memory.current"))
        except (OSError, KeyError, ValueError):
            return None

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the cgroup for going over the memory limit."""
        try:
            if self.version == 1:
                text = _read(self.folders["memory"] / "memory.oom_control")
            else:
                text = _read(self.folders["unified"] / "memory.events")
            counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
            return int(counts.get("oom_kill", "0")) > 0
        except (OSError, KeyError, ValueError):
            return False

    def pids(self) -> list[int]:
        try:
            folder = self.folders["pids" if self.version == 1 else "unified"]
            return [int(p) for p in _read(folder / "cgroup.procs").split()]
        except (OSError, KeyError, ValueError):
            return []

    def remove(self) -> None:
        """Kill whatever is left in it and remove its folders."""
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        for folder in sorted(set(self.folders.values()), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass
