"""The sandbox's view of the machine: its namespaces and the filesystem it sees, as a mount plan.

Isolation (Linux; `isolation="auto"` uses it wherever the kernel allows the namespaces):
- new mount, PID, network, IPC, UTS and cgroup namespaces (and a user namespace where the grader is
  not root); a fresh root, read-only, that shows an allowlist, not the machine:
  - the system's libraries and settings (/usr, /lib, /etc), but no programs: /usr/bin, /usr/sbin,
    /usr/local/bin and the compilers' folders (/usr/lib/gcc, /usr/libexec, headers, CUDA's nvcc)
    are empty, so there is no compiler, shell or tool to run;
  - the Python interpreter and its standard library, and of the installed packages only the
    distributions the notebooks import (`ALLOWED_DISTRIBUTIONS`: torch, numpy, plotly) and what they
    require at run time, each at its own path: not scikit-learn (it ships an Adam), nbgrader, dask,
    IPython or the grader's other dependencies; no `.pth` file runs;
  - its trusted grading code (`/grader`), and three small private tmpfs it may write: its working
    folder `/sandbox` (also HOME and the current directory), `/tmp` and `/dev/shm`;
  - of /dev only null, zero, full, random, urandom (and the GPU's nodes where there is one);
    /proc of its own PID namespace; /sys read-only;
  not the course, the solutions, the gradebook, the other students' work, the host's /tmp;
- an unprivileged identity: run by root, the grader gives each sandbox its own unused uid (so
  ownership protects every file root could otherwise write, and one sandbox's process count cannot
  starve another's); run by another user, the sandbox is that user; no capabilities either way.

`mount_plan` says what the root holds, as a list of operations; `enter.py` carries them out in the
sandbox's own process (a fork of a template that has imported torch already: zygote.py).
"""

import ctypes
import functools
import glob
import os
import re
import sys
import sysconfig
from importlib import metadata
from pathlib import Path
from typing import Sequence

_LIBC = ctypes.CDLL(None, use_errno=True)
INSIDE = "/sandbox"  # the student's writable working folder inside the sandbox
GRADER_INSIDE = "/grader"  # the trusted code and the job, read-only, inside the sandbox
UID_BASE = 1_000_000  # run by root: sandbox uid = UID_BASE + the grading process's pid (unused by anyone)
# What the notebooks import (tests/test_sandbox_view.py checks it against every notebook); with what
# each requires at run time, the only installed packages the student's code can import.
ALLOWED_DISTRIBUTIONS = ("torch", "numpy", "plotly")
# Folders of programs and of compilers: empty inside (a compiler would let the code build an
# extension around the implementations that are switched off).
NO_PROGRAMS = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/usr/games", "/usr/local/games",
               "/usr/lib/gcc", "/usr/lib/gcc-cross", "/usr/libexec", "/usr/include", "/usr/local/include",
               "/usr/lib/llvm-*", "/usr/local/cuda*/bin", "/usr/local/cuda*/nvvm", "/opt/*/bin"]
SYSTEM = ["/usr", "/etc"]  # not /opt: it may hold wheels, of scikit-learn say, to unpack


def as_root() -> bool:
    return os.geteuid() == 0


def namespaces_available() -> bool:
    """Whether this kernel lets a process of ours make the sandbox's namespaces (checked once)."""
    key = as_root()
    if key not in _WORKS:
        from .enter import namespace_flags

        pid = os.fork()  # only the forked child tries: the namespaces of this process stay as they are
        if pid == 0:
            try:
                ok = _LIBC.unshare(namespace_flags(key)) == 0
            except BaseException:
                ok = False
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        _WORKS[key] = os.waitstatus_to_exitcode(status) == 0
    return _WORKS[key]


_WORKS: dict = {}


def cuda_present() -> bool:
    return any(Path("/dev").glob("nvidia[0-9]*"))


def _site_dirs() -> list[str]:
    """Every folder of installed packages this interpreter could know of: those on sys.path and the
    base installation's (hidden too: a student could put them on sys.path)."""
    found = [p for p in sys.path if p and os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")]
    for scheme in ("purelib", "platlib"):
        for base in (sys.prefix, sys.base_prefix):
            found.append(sysconfig.get_path(scheme, vars={"base": base, "platbase": base}))
    found += glob.glob("/usr/lib/python3*/dist-packages") + glob.glob("/usr/local/lib/python3*/dist-packages")
    return sorted({os.path.abspath(p) for p in found if os.path.isdir(p)})


def _requirements(dist: metadata.Distribution) -> list[str]:
    """The names of the distributions `dist` requires at run time (no extras, markers evaluated)."""
    from packaging.requirements import Requirement

    names = []
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except ValueError:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(req.name)
    return names


@functools.lru_cache(maxsize=None)
def allowed_entries() -> dict[str, tuple[str, ...]]:
    """{site folder: the top-level entries there the sandbox sees}: the allowed distributions and,
    transitively, what they require, each with its .dist-info (never a .pth file)."""
    def norm(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    todo, seen = [norm(n) for n in ALLOWED_DISTRIBUTIONS], set()
    entries: dict[str, set[str]] = {}
    by_name = {norm(d.metadata["Name"] or ""): d for d in metadata.distributions()}
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        dist = by_name[name]
        site = os.path.abspath(str(dist.locate_file("")))
        tops = {str(Path(str(f)).parts[0]) for f in (dist.files or []) if not str(f).startswith("..")}
        tops.discard("__pycache__")  # the folder's shared cache: it holds other packages' compiled code too
        tops.add(Path(str(getattr(dist, "_path", ""))).name)
        entries.setdefault(site, set()).update(t for t in tops if t and not t.endswith(".pth")
                                               and os.path.lexists(os.path.join(site, t)))
        todo += [norm(r) for r in _requirements(dist)]
    return {site: tuple(sorted(names)) for site, names in entries.items()}


Op = tuple  # ("bind", source, target, "ro" | "dev") | ("tmpfs", target, bytes, mode[, "sandbox": its owner])
#              | ("symlink", text, link)
#              | ("proc", target) | ("dev", target) | ("remount-ro", target)


def _interpreter(python: str) -> list[Op]:
    """What makes `python` runnable at its own path: each link of the chain, then the binary, the
    venv's pyvenv.cfg, the standard library and the interpreter's shared library."""
    ops: list[Op] = []
    path = os.path.abspath(python)
    for _ in range(40):  # the symbolic links from the venv's python to the real binary
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        ops.append(("symlink", target, path))
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    ops.append(("bind", path, path, "ro"))
    venv_cfg = os.path.join(sys.prefix, "pyvenv.cfg")
    if os.path.isfile(venv_cfg):
        ops.append(("bind", venv_cfg, venv_cfg, "ro"))
    for folder in sorted({sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"),
                          sysconfig.get_config_var("LIBDIR") or ""}):
        if folder and os.path.isdir(folder) and not any(folder.startswith(s + "/") for s in SYSTEM):
            ops.append(("bind", folder, folder, "ro"))
    return ops


TOP_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # merged /usr: links at the top, or folders


def visible_paths(python: str) -> list[str]:
    """The host paths the sandbox sees (read-only), for a reader: the system, the interpreter, the
    allowed packages."""
    paths = [f"/{top}" for top in TOP_LINKS if os.path.lexists(f"/{top}")] + [p for p in SYSTEM if os.path.isdir(p)]
    paths += [os.path.join(site, entry) for site, entries in allowed_entries().items() for entry in entries]
    return paths + [sysconfig.get_path("stdlib"), os.path.abspath(python), os.path.realpath(python)]


def mount_plan(python: str, trusted: Path, tmpfs_mb: dict[str, int], covers: Sequence[tuple[Path, str]] = (),
               devices: Sequence[str] = ()) -> list[Op]:
    """The sandbox's root, operation by operation, later ones over earlier ones. `trusted`: its grading
    code and job (seen at /grader). `covers`: (file, host path) pairs, the file seen read-only in place
    of that host file (torch's implementations of the graded algorithms, switched off: switch_off.py)."""
    plan: list[Op] = []
    for top in TOP_LINKS:
        link = f"/{top}"
        if os.path.islink(link):
            plan.append(("symlink", os.readlink(link), link))
        elif os.path.isdir(link):
            plan.append(("bind", link, link, "ro"))
    plan += [("bind", folder, folder, "ro") for folder in SYSTEM if os.path.isdir(folder)]
    # The private /tmp before the Python installation: one that lives under /tmp (a checkout or a venv
    # there) is then bound on top of it, instead of being hidden by it.
    plan += [("tmpfs", "/tmp", tmpfs_mb["tmp"] << 20, 0o1777)]
    hidden = {os.path.realpath(f) for pattern in NO_PROGRAMS for f in glob.glob(pattern) if os.path.isdir(f)}
    plan += [("tmpfs", folder, 1 << 16, 0o755) for folder in sorted(hidden)]  # real paths: never through links
    plan += _interpreter(python)
    plan += [("tmpfs", site, 1 << 16, 0o755) for site in _site_dirs()]  # every package folder empty, then:
    for site, entries in allowed_entries().items():
        plan += [("bind", os.path.join(site, e), os.path.join(site, e), "ro") for e in entries]
    # after the packages: the stub is what the sandbox sees at torch's path
    plan += [("bind", str(file), host, "ro") for file, host in covers if os.path.lexists(host)]
    plan += [("dev", "/dev"), ("bind", "/sys", "/sys", "ro")]
    plan += [("bind", node, node, "dev") for node in devices]
    plan += [("tmpfs", "/dev/shm", tmpfs_mb["shm"] << 20, 0o1777),
             ("tmpfs", INSIDE, tmpfs_mb["sandbox"] << 20, 0o700, "sandbox"),  # owned by the sandbox's user
             ("bind", str(trusted), GRADER_INSIDE, "ro"),
             ("proc", "/proc"), ("remount-ro", "/")]
    return plan


def tmpfs_sizes(memory_mb: int) -> dict[str, int]:
    """MB of private writable space: its working folder, /tmp and /dev/shm (a quarter of its memory
    limit in all: they count against it)."""
    return {"sandbox": memory_mb // 8, "tmp": memory_mb // 8, "shm": memory_mb // 32}


def _minors_by_index() -> list[int]:
    """Device minor numbers (/dev/nvidiaN) in the order CUDA numbers the GPUs when CUDA_DEVICE_ORDER
    is PCI_BUS_ID (the workers set it): by PCI bus location, from the driver's /proc files."""
    found = []
    for info in glob.glob("/proc/driver/nvidia/gpus/*/information"):
        try:
            fields = dict(line.split(":", 1) for line in open(info).read().splitlines() if ":" in line)
            found.append((fields["Bus Location"].strip().lower(), int(fields["Device Minor"])))
        except (OSError, KeyError, ValueError):
            return []
    return [minor for _, minor in sorted(found)]


def gpu_nodes() -> list[str]:
    """The GPU device nodes the student's code needs: the control nodes, and only the GPUs this worker
    is pinned to (CUDA_VISIBLE_DEVICES), where the driver says which node each is; else all of them."""
    nodes = [p for p in sorted(glob.glob("/dev/nvidia*")) if os.path.exists(p) and not os.path.isdir(p)]
    nodes += sorted(glob.glob("/dev/nvidia-caps/*"))
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    minors = _minors_by_index()
    if visible and minors and all(v.strip().isdigit() and int(v) < len(minors) for v in visible.split(",")):
        keep = {f"/dev/nvidia{minors[int(v)]}" for v in visible.split(",")}
        nodes = [n for n in nodes if not re.fullmatch(r"/dev/nvidia\d+", n) or n in keep]
    return nodes
