"""The sandbox's view of the machine: its namespaces and the filesystem it sees.

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
  (`setpriv`), so it cannot undo any of this; no network.
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional, Sequence

INSIDE = "/sandbox"  # the student's writable working folder inside the sandbox
GRADER_INSIDE = "/grader"  # the trusted code and the job, read-only, inside the sandbox
UID_BASE = 1_000_000  # run by root: sandbox uid = UID_BASE + the grading process's pid (unused by anyone)
TMPFS_MB = {"sandbox": 256, "tmp": 256, "shm": 64}  # private writable space (counts against RAM)


def as_root() -> bool:
    return os.geteuid() == 0


_NAMESPACES_OK: dict = {}


def unshare_args() -> list[str]:
    flags = ["--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child"]
    return ["unshare", *flags] if as_root() else ["unshare", "--user", "--map-root-user", *flags]


def namespaces_available() -> bool:
    """Whether this kernel lets us create the sandbox's namespaces (checked once per identity)."""
    key = as_root()
    if key not in _NAMESPACES_OK:
        try:
            ok = subprocess.run([*unshare_args(), "--", "true"], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        _NAMESPACES_OK[key] = ok and shutil.which("setpriv") is not None and shutil.which("chroot") is not None
    return _NAMESPACES_OK[key]


def cuda_present() -> bool:
    return any(Path("/dev").glob("nvidia[0-9]*"))


def visible_paths(python: str) -> list[str]:
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


def setup_script(work: Path, python: str, argv: list[str], uid: Optional[int], home_owner: int,
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
    for path in visible_paths(python):
        if os.path.islink(path) and os.path.dirname(path) == "/":
            lines.append(f'ln -s {q(os.readlink(path))} "$R"{q(path)}')
            continue
        lines += [f'mkdir -p "$R"{q(path)}', f'mount --rbind {q(path)} "$R"{q(path)}',
                  f'mount -o remount,bind,ro "$R"{q(path)}']
    # submounts of those folders: read-only too (best effort: the top ones above must succeed)
    lines.append("for m in $(awk -v r=\"$R/\" 'index($5, r) == 1 && $5 != r \"tmp\" {print $5}' "
                 "/proc/self/mountinfo); do "
                 'mount -o remount,bind,ro "$m" 2>/dev/null || true; done')
    visible = visible_paths(python)
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
