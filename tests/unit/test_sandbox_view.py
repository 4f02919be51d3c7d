"""The sandbox's view, built as data: which packages it shows, what it hides, how paths closed to its
user are staged, and how the cgroups it gets are found (no sandbox is started here)."""

import ast
import json
import os
import sys
from pathlib import Path

from autograder.authoring.build import assignments
from autograder.paths import REPO, THIS_REPO
from autograder.sandbox import view
from autograder.sandbox.cgroups import _membership, _mounts


def shown_packages() -> set[str]:
    return {entry.split("-")[0].lower() for entries in view.allowed_entries().values() for entry in entries}


def test_only_the_allowed_packages_and_what_they_need_are_shown():
    shown = shown_packages()
    assert {"torch", "numpy", "plotly"} <= shown
    for hidden in ("sklearn", "scikit_learn", "nbgrader", "dask", "distributed", "ipython", "jupyter_core", "scipy",
                   "copydetect", "autograder", "pytest", "__pycache__"):
        assert hidden not in shown, hidden
    assert not any(e.endswith(".pth") for entries in view.allowed_entries().values() for e in entries)


def _run_when_the_cell_runs(tree: ast.AST):
    """The nodes a cell executes as it runs (not the bodies of the functions it defines: the digits
    loader imports scikit-learn, in cells the grader never runs)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            todo += list(ast.iter_child_nodes(node))


def test_every_import_of_the_notebooks_is_there():
    """What a setup or answer cell of a source notebook imports as it runs: the standard library or a
    shown package."""
    shown = shown_packages()
    for name in assignments(REPO):
        nb = json.loads(THIS_REPO.source_notebook(name).read_text())
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            setup = meta.get("locked") and meta.get("grade_id", "").startswith("setup")
            runs_in_sandbox = meta.get("solution") or setup
            if cell["cell_type"] != "code" or not runs_in_sandbox:
                continue
            for node in _run_when_the_cell_runs(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Import):
                    tops = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    tops = [node.module.split(".")[0]]
                else:
                    continue
                for top in tops:
                    assert top in sys.stdlib_module_names or top in shown, (name, meta.get("grade_id"), top)


def test_no_programs_and_no_compiler_folders():
    plan = view.mount_plan(sys.executable, Path("/nonexistent"), view.tmpfs_sizes(1024))
    emptied = {op[1] for op in plan if op[0] == "tmpfs"}
    assert "/usr/bin" in emptied and "/usr/sbin" in emptied
    if os.path.isdir("/usr/lib/gcc"):
        assert "/usr/lib/gcc" in emptied
    binds = [op[2] for op in plan if op[0] == "bind"]
    assert "/opt" not in binds and not any(b.startswith("/usr/bin/") and "python" not in b for b in binds)
    assert plan[-1] == ("remount-ro", "/")  # the root is read-only once built


def test_tmpfs_sizes_are_a_part_of_the_memory_limit():
    sizes = view.tmpfs_sizes(2048)
    assert sizes == {"sandbox": 256, "tmp": 256, "shm": 64} and sum(view.tmpfs_sizes(1024).values()) < 1024 // 3


def test_cgroup_mounts_and_membership_v1_and_v2():
    mountinfo = ("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                 "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                 "39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                 "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
    mounts = _mounts(mountinfo)
    assert mounts["cpu"] == mounts["cpuacct"] == Path("/sys/fs/cgroup/cpu,cpuacct")
    assert mounts["unified"] == Path("/sys/fs/cgroup/unified")
    assert _membership("4:memory:/job/42\n2:cpu,cpuacct:/\n0::/user.slice/x\n") == {
        "memory": "/job/42", "cpu": "/", "cpuacct": "/", "unified": "/user.slice/x"}


def test_no_folder_mounted_later_hides_what_was_mounted_before(tmp_path):
    """A tmpfs laid over a folder hides every earlier mount below it: the private /tmp must not hide a
    Python installation, a checkout or a switched-off file that lives under /tmp (tmp_path is there)."""
    torch_file = tmp_path / "venv" / "torch" / "optim" / "adam.py"
    torch_file.parent.mkdir(parents=True)
    torch_file.write_text("")
    plan = view.mount_plan(sys.executable, Path("/nonexistent"), view.tmpfs_sizes(1024),
                           covers=[(tmp_path / "stub.py", str(torch_file))])
    assert any(op[0] == "bind" and op[2] == str(torch_file) for op in plan)
    for i, op in enumerate(plan):
        if op[0] != "tmpfs":
            continue
        folder = op[1].rstrip("/") + "/"
        hidden = [earlier for earlier in plan[:i] if earlier[0] in ("bind", "symlink")
                  and earlier[2].startswith(folder)]
        assert not hidden, f"the tmpfs at {op[1]} hides {hidden[:3]}"
