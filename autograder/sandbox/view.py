"""The sandbox's view of the machine: its namespaces and the filesystem it sees (bubblewrap).

Isolation (Linux with Debian's `bwrap`; `isolation="auto"` uses it wherever it runs):
- new user, mount, PID, network, IPC, UTS and cgroup namespaces; no further user namespaces inside;
  a fresh root, read-only, that shows an allowlist, not the machine:
  - the system's libraries and settings (/usr, /lib, /etc), but no programs: /usr/bin, /usr/sbin,
    /usr/local/bin and the compilers' folders (/usr/lib/gcc, /usr/libexec, headers, CUDA's nvcc)
    are empty, so there is no compiler, shell or tool to run;
  - the Python interpreter and its standard library, and of the installed packages only the
    distributions the notebooks import (`ALLOWED_DISTRIBUTIONS`: torch, numpy, plotly) and what they
    require at run time, each at its own path: not scikit-learn (it ships an Adam), nbgrader, dask,
    IPython or the grader's other dependencies; no `.pth` file runs;
  - its trusted grading code (`/grader`), and three small private tmpfs it may write: its working
    folder `/sandbox` (also HOME and the current directory), `/tmp` and `/dev/shm`;
  - of /dev only null, zero, full, random, urandom, tty (and the GPU's nodes where there is one);
    /proc of its own PID namespace; /sys read-only;
  not the course, the solutions, the gradebook, the other students' work, the host's /tmp;
- an unprivileged identity: run by root, the grader gives each sandbox its own unused uid (so
  ownership protects every file root could otherwise write, and one sandbox's process count cannot
  starve another's); run by another user, the sandbox is that user; no capabilities either way.
"""

import ctypes
import functools
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional, Sequence

_LIBC = ctypes.CDLL(None, use_errno=True)
_MS_BIND, _MS_REC, _MS_PRIVATE, _CLONE_NEWNS = 4096, 16384, 1 << 18, 0x00020000
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


def become(uid: Optional[int]) -> Callable[[], None]:
    """A preexec step: drop to `uid` (and its own gid, no supplementary groups); None: stay."""
    def drop() -> None:
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
    return drop


_WORKS: dict = {}


def namespaces_available() -> bool:
    """Whether bubblewrap can build the sandbox here, as the identity the sandbox gets (checked once)."""
    key = as_root()
    if key not in _WORKS:
        ok = False
        if shutil.which("bwrap") is not None:
            uid = UID_BASE + os.getpid() if key else None
            with tempfile.TemporaryDirectory() as work:
                os.chmod(work, 0o755)
                args = bwrap_args(sys.executable, Path(work), {"sandbox": 1, "tmp": 1, "shm": 1})
                args, binds = prepare_stage(args, Path(work) / "stage") if uid is not None else (args, [])
                drop = become(uid)

                def preexec() -> None:
                    bind_in_private_namespace(binds)
                    drop()

                try:
                    ok = subprocess.run([*args, "--", sys.executable, "-c", "pass"], capture_output=True, timeout=60,
                                        preexec_fn=preexec).returncode == 0
                except (OSError, subprocess.SubprocessError):
                    ok = False
        _WORKS[key] = ok
    return _WORKS[key]


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


def _interpreter(python: str) -> list[str]:
    """bwrap arguments that make `python` runnable at its own path: each link of the chain, then the
    binary, the venv's pyvenv.cfg, the standard library and the interpreter's shared library."""
    args: list[str] = []
    path = os.path.abspath(python)
    for _ in range(40):  # the symbolic links from the venv's python to the real binary
        if not os.path.islink(path):
            break
        target = os.readlink(path)
        args += ["--symlink", target, path]
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    args += ["--ro-bind", path, path]
    venv_cfg = os.path.join(sys.prefix, "pyvenv.cfg")
    if os.path.isfile(venv_cfg):
        args += ["--ro-bind", venv_cfg, venv_cfg]
    for folder in {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"),
                   sysconfig.get_config_var("LIBDIR") or ""}:
        if folder and os.path.isdir(folder) and not any(folder.startswith(s + "/") for s in SYSTEM):
            args += ["--ro-bind", folder, folder]
    return args


TOP_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # merged /usr: links at the top, or folders


def visible_paths(python: str) -> list[str]:
    """The host paths the sandbox sees (read-only), for a reader: the system, the interpreter, the
    allowed packages."""
    paths = [f"/{top}" for top in TOP_LINKS if os.path.lexists(f"/{top}")] + [p for p in SYSTEM if os.path.isdir(p)]
    paths += [os.path.join(site, entry) for site, entries in allowed_entries().items() for entry in entries]
    return paths + [sysconfig.get_path("stdlib"), os.path.abspath(python), os.path.realpath(python)]


def bwrap_args(python: str, trusted: Path, tmpfs_mb: dict[str, int], covers: Sequence[tuple[Path, str]] = (),
               devices: Sequence[str] = ()) -> list[str]:
    """The bubblewrap command line (without the command to run) of a sandbox whose trusted code is in
    `trusted`. `covers`: (file, host path) pairs, the file seen read-only in place of that host file
    (torch's implementations of the graded algorithms, switched off: see switch_off.py)."""
    args = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user", "--disable-userns",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox"]
    for top in TOP_LINKS:
        link = f"/{top}"
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    for folder in SYSTEM:
        if os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    hidden = {os.path.realpath(f) for pattern in NO_PROGRAMS for f in glob.glob(pattern) if os.path.isdir(f)}
    for folder in sorted(hidden):  # real paths: bubblewrap mounts on folders, not through links
        args += ["--tmpfs", folder]
    args += _interpreter(python)
    for site in _site_dirs():  # every package folder empty, then the allowed entries at their own paths
        args += ["--tmpfs", site]
    for site, entries in allowed_entries().items():
        for entry in entries:
            path = os.path.join(site, entry)
            args += ["--ro-bind", path, path]
    for file, host in covers:  # after the packages: the stub is what the sandbox sees at torch's path
        if os.path.lexists(host):
            args += ["--ro-bind", str(file), host]
    args += ["--proc", "/proc", "--dev", "/dev", "--ro-bind", "/sys", "/sys"]
    for node in devices:
        args += ["--dev-bind", node, node]
    args += ["--size", str(tmpfs_mb["shm"] << 20), "--perms", "1777", "--tmpfs", "/dev/shm",
             "--size", str(tmpfs_mb["tmp"] << 20), "--perms", "1777", "--tmpfs", "/tmp",
             "--size", str(tmpfs_mb["sandbox"] << 20), "--perms", "0700", "--tmpfs", INSIDE,
             "--ro-bind", str(trusted), GRADER_INSIDE, "--remount-ro", "/", "--chdir", INSIDE]
    return args


def _closed_part(path: str) -> Optional[str]:
    """Where a folder on the way to `path` is closed to others (pyenv's /root, 0700, say): the path's
    component just below that folder, which the sandbox's user cannot reach; else None."""
    parts = Path(path).parts
    for i in range(2, len(parts)):
        try:
            mode = os.stat(os.path.join(*parts[:i])).st_mode
        except OSError:
            return None
        if not mode & 0o001:
            return os.path.join(*parts[: i + 1])
    return None


BIND_OPTIONS = ("--ro-bind", "--bind", "--dev-bind", "--ro-bind-try")


def staged(args: list[str], stage: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """`args` with every bind source the sandbox's user cannot reach (bubblewrap opens its sources as
    that user) replaced by the same path under `stage`, and the (source, staging path) binds that make
    them reachable there: made by the grader, still root, before the sandbox takes its identity
    (process.py)."""
    binds: dict[str, str] = {}
    out = list(args)
    for i, word in enumerate(args[:-1]):
        if word in BIND_OPTIONS:
            top = _closed_part(args[i + 1])
            if top is not None:
                binds.setdefault(top, str(stage / str(len(binds))))
                out[i + 1] = binds[top] + args[i + 1][len(top):]
    return out, list(binds.items())


def bind_in_private_namespace(binds: Sequence[tuple[str, str]]) -> None:
    """In a forked child, still root: a mount namespace of its own, and each (source, target) bound
    there (what bubblewrap, run as the sandbox's user, could not open itself)."""
    if not binds:
        return
    if _LIBC.unshare(_CLONE_NEWNS) != 0 or _LIBC.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "sandbox: no private mount namespace")
    for source, target in binds:
        if _LIBC.mount(source.encode(), target.encode(), None, _MS_BIND | _MS_REC, None) != 0:
            raise OSError(ctypes.get_errno(), f"sandbox: cannot stage {source}")


def prepare_stage(args: list[str], stage: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """`staged`, with the staging folder's mount points made (readable by the sandbox's user)."""
    args, binds = staged(args, stage)
    for source, target in binds:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).mkdir() if os.path.isdir(source) else Path(target).touch()
    for folder in [stage, *stage.glob("*")] if binds else []:
        os.chmod(folder, 0o755)
    return args, binds


def tmpfs_sizes(memory_mb: int) -> dict[str, int]:
    """MB of private writable space: its working folder, /tmp and /dev/shm (a quarter of its memory
    limit in all: they count against it)."""
    return {"sandbox": memory_mb // 8, "tmp": memory_mb // 8, "shm": memory_mb // 32}


def gpu_nodes() -> list[str]:
    """The GPU's device nodes the student's code needs (NVIDIA's), where there are any."""
    nodes = [p for p in sorted(glob.glob("/dev/nvidia*")) if os.path.exists(p) and not os.path.isdir(p)]
    return nodes + [p for p in sorted(glob.glob("/dev/nvidia-caps/*"))]
