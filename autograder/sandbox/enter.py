"""Enter the sandbox from a freshly forked process: new namespaces, a root that shows only what the
mount plan lists (view.py), an unprivileged identity, no capabilities, then the student's code.

This is what bubblewrap does, done inside the process, because a sandbox here is a fork of a template
that has already imported torch and the checks (zygote.py): a sandbox then starts in milliseconds, not
the seconds torch takes to import, and a tool that execs a new program cannot start from such a fork.
Each step fails loudly: a process that could not build its view exits before any student code runs.

The process tree of one sandbox, seen from the host:
    A: the fork of the template: joins the cgroup, takes the limits, makes the namespaces and the root
    └ B: the first process of the new PID namespace (pid 1 there): mounts /proc, reaps, reports C's end
      └ C: the student's process: in the new root, as the sandbox's uid, without capabilities
"""

import ctypes
import os
import signal
import sys
from typing import Callable, Optional, Sequence

_LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 38, 24, 28
SECURE_ALL_LOCKED = 0x3F  # noroot, no_setuid_fixup, keep_caps_locked...: uid 0 gains nothing back
# no tty: the sandbox has no controlling terminal, and the host's would be one more way out
DEVICES = ("null", "zero", "full", "random", "urandom")


class SetupError(Exception):
    """The sandbox's view could not be built: nothing of the student's runs."""


def namespace_flags(as_root: bool) -> int:
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
    return flags if as_root else flags | CLONE_NEWUSER


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)}")


def _mount(source: Optional[str], target: str, fstype: Optional[str], flags: int, data: Optional[str] = None) -> None:
    _check(_LIBC.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                       flags, data.encode() if data else None), f"mount {source} on {target}")


def _mount_point(target: str, like_directory: bool) -> None:
    """Make `target` (a folder, or an empty file for a file's bind) unless it is there already."""
    if os.path.lexists(target):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if like_directory:
        os.mkdir(target)
    else:
        open(target, "w").close()


def _submounts(target: str) -> list[str]:
    """The mounts at and below `target`, from this process's mountinfo (a bind brings its submounts)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == target or point.startswith(target.rstrip("/") + "/"):
                found.append(point)
    return found


def _bind(source: str, target: str, devices: bool) -> None:
    _mount_point(target, os.path.isdir(source))
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | (0 if devices else MS_NODEV)
    for point in _submounts(target):  # read-only all the way down
        try:
            _mount(None, point, None, flags)
        except SetupError:
            if point == target:
                raise


def _dev(target: str) -> None:
    """A small /dev: the harmless nodes, bound from the host's, and the links Python expects."""
    _mount_point(target, True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID, "size=64k,mode=755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _mount_point(f"{target}/{name}", False)
            _mount(f"/dev/{name}", f"{target}/{name}", None, MS_BIND)
    for link, to in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                     ("stderr", "/proc/self/fd/2")):
        os.symlink(to, f"{target}/{link}")
    os.mkdir(f"{target}/shm")


def build_root(plan: Sequence[tuple], root: str, owner: int) -> list[tuple]:
    """Carry out the mount plan under `root` (in this process's own mount namespace); what needs the new
    PID namespace (/proc) and the final read-only remount are returned, for B to do. `owner`: the
    sandbox's uid, which owns the tmpfs marked "sandbox"."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing of ours propagates to the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    later = []
    for op in plan:
        kind, target = op[0], root + (op[2] if op[0] in ("bind", "symlink") else op[1])
        if kind == "bind":
            _bind(op[1], target, op[3] == "dev")
        elif kind == "tmpfs":
            _mount_point(target, True)
            ownership = f",uid={owner},gid={owner}" if list(op[4:]) == ["sandbox"] else ""  # a list, from JSON
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
                   f"size={max(4096, op[2])},mode={op[3]:o}{ownership}")
        elif kind == "symlink":
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(op[1], target)
        elif kind == "dev":
            _dev(target)
        elif kind in ("proc", "remount-ro"):
            later.append(op)
        else:
            raise SetupError(f"unknown mount operation {kind}")
    return later


def finish_root(later: Sequence[tuple], root: str) -> None:
    """In B, the first process of the new PID namespace: its /proc, then the root made read-only."""
    for op in later:
        target = root + op[1]
        if op[0] == "proc":
            _mount_point(target, True)
            _mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            _bind(target + "/sys", target + "/sys", False)  # the kernel's knobs: read-only
        elif op[0] == "remount-ro":
            _mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _map_own_identity() -> None:
    """In a new user namespace (a grader that is not root): the same uid and gid inside as outside."""
    uid, gid = os.getuid(), os.getgid()
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _drop_bounding_set() -> None:
    """No capability can ever come back (securebits locked too, where the process may set them)."""
    for cap in range(64):
        if _LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: past the last
            break
    _LIBC.prctl(PR_SET_SECUREBITS, SECURE_ALL_LOCKED, 0, 0, 0)


def _no_capabilities() -> None:
    """No capability now, and no new privileges from anything it runs."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3: two 32-bit words
    _check(_LIBC.capset(ctypes.byref(header), ctypes.byref(data)), "capset")
    _check(_LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def become(uid: Optional[int]) -> None:
    """The sandbox's identity: `uid` (and its own gid, no supplementary groups; root graders), or the
    grader's own uid (a user namespace mapped onto it); no capabilities either way."""
    _drop_bounding_set()  # while the capability to do so is still there
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _no_capabilities()


def enter(plan: Sequence[tuple], root: str, uid: Optional[int], home: str, run: Callable[[], int],
          on_setup: Callable[[], None] = lambda: None) -> None:
    """In A (a fork, still the grader's identity): make the namespaces and the root (built under the
    empty folder `root`, in A's own mount namespace), fork B; B forks C, which runs `run()` inside. A
    exits with C's status (a signal as 128 + its number). Never returns. `on_setup` runs first (the
    cgroup, the limits)."""
    code = 70
    try:
        on_setup()
        privileged = os.geteuid() == 0
        _check(_LIBC.unshare(namespace_flags(privileged)), "unshare")
        if not privileged:
            _map_own_identity()
        _LIBC.sethostname(b"sandbox", 7)
        later = build_root(plan, root, os.getuid() if uid is None else uid)
        b = os.fork()
        if b == 0:  # pid 1 of the new PID namespace
            try:
                finish_root(later, root)
                os.chroot(root)
                os.chdir("/")
                c = os.fork()
                if c == 0:
                    try:
                        os.chdir(home)
                        become(uid)
                    except BaseException as error:
                        print(f"sandbox setup failed: {error}", file=sys.stderr, flush=True)
                        os._exit(70)
                    os._exit(run())
                os._exit(_reap(c))
            except BaseException as error:
                print(f"sandbox setup failed: {error}", file=sys.stderr, flush=True)
                os._exit(70)
        code = _wait(b)
    except BaseException as error:
        import traceback

        print(f"sandbox setup failed: {error}", file=sys.stderr, flush=True)
        traceback.print_exc()
    os._exit(code)


def _status(status: int) -> int:
    return 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _wait(pid: int) -> int:
    while True:
        try:
            return _status(os.waitpid(pid, 0)[1])
        except InterruptedError:
            continue


def _reap(main: int) -> int:
    """pid 1's loop: wait for every orphan, and exit with `main`'s status once it is gone (taking the
    rest of the namespace with it)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 0
        if pid == main:
            return _status(status)

