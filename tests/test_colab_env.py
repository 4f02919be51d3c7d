"""The student notebooks need nothing that Colab does not preinstall.

Every `assignments/<a>/<a>.ipynb` runs in a fresh virtual environment (no system site-packages)
holding only what Colab ships that the notebooks use (torch, numpy, plotly, matplotlib,
scikit-learn and their dependencies) plus ipykernel and nbclient to run it, at the versions pinned
in requirements.txt, from a scratch folder: no autograder, no `course` package, no nbgrader.

* With the solutions filled in (the student notebook whose answer cells hold the solution's code),
  every cell runs without an error: the visible tests pass.
* As handed out (blank answers), the set-up and answer cells run, and every test cell with code
  fails with a message that points at NotImplementedError, never an import or name error.
* The notebook's introduction tells the student how to read a failing test.
* The first code cell (`setup-colab`) knows Colab, installs nothing, and says where the tests run.

The environment is cached in _build/colab-venv, keyed on requirements.txt (first build: a few
minutes; then seconds).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest
from book_fixtures import student_notebooks
from conftest import REPO

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


VENV = REPO / "_build" / "colab-venv"
COLAB_PACKAGES = ["torch", "numpy", "plotly", "matplotlib", "scikit-learn"]
RUNNER_PACKAGES = ["ipykernel", "nbclient"]
CELL_TIMEOUT = 300
# An error of these kinds in a blank notebook means something is missing, not something unwritten.
BROKEN = {"NameError", "ImportError", "ModuleNotFoundError", "SyntaxError", "IndentationError", "AttributeError"}
NOT_WRITTEN = "NotImplementedError"

RUNNER = r"""
import sys
import nbformat
from nbclient import NotebookClient

path, cwd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
               resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, path)
"""

# Appended to each run: where the kernel's Python lives and which course tools it could import.
PROBE = """import importlib.util, json, sys
print("COLAB-ENV " + json.dumps({"prefix": sys.prefix, "importable": [
    m for m in ("autograder", "course", "nbgrader", "jupyter_book") if importlib.util.find_spec(m)]}))"""


def _key() -> str:
    spec = [sys.version, *COLAB_PACKAGES, *RUNNER_PACKAGES, (REPO / "requirements.txt").read_text()]
    return hashlib.sha256("\n".join(spec).encode()).hexdigest()


def _clean_env(scratch: Path) -> dict[str, str]:
    """No PYTHONPATH, no user-wide Jupyter kernels (Jupyter's folders in `scratch`): the kernel must be
    the venv's own Python."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PATH=f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}", JUPYTER_DATA_DIR=str(scratch / "data"),
               JUPYTER_CONFIG_DIR=str(scratch / "config"), IPYTHONDIR=str(scratch / "ipython"),
               MPLBACKEND="agg", PYTHONWARNINGS="ignore::DeprecationWarning")
    return env


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return _clean_env(tmp_path_factory.mktemp("colab-jupyter"))


@pytest.fixture(scope="module")
def colab_venv(env: dict[str, str]) -> Iterator[Path]:
    """_build/colab-venv/bin/python, (re)built when requirements.txt changed."""
    stamp = VENV / ".course-key"
    if not (stamp.is_file() and stamp.read_text() == _key() and (VENV / "bin" / "python").is_file()):
        shutil.rmtree(VENV, ignore_errors=True)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
        proc = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                               "--disable-pip-version-check", "-c", str(REPO / "requirements.txt"),
                               *COLAB_PACKAGES, *RUNNER_PACKAGES], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            pytest.fail("could not build the Colab-like environment:\n" + (proc.stdout + proc.stderr)[-4000:])
        stamp.write_text(_key())
    yield VENV / "bin" / "python"


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def with_solutions(name: str) -> nbformat.NotebookNode:
    """The student notebook whose answer cells hold the solution's code (test cells stay visible-only)."""
    student = nbformat.read(REPO / "assignments" / name / f"{name}.ipynb", as_version=4)
    source = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    answers = {_nbgrader(c)["grade_id"]: c.source for c in source.cells
               if c.cell_type == "code" and _nbgrader(c).get("solution")}
    for cell in student.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and meta.get("solution"):
            assert meta["grade_id"] in answers, f"{name}: answer cell {meta['grade_id']} is not in the source"
            cell.source = "\n".join(line for line in answers[meta["grade_id"]].splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return student


def run_notebook(python: Path, nb: nbformat.NotebookNode, workdir: Path,
                 env: dict[str, str]) -> tuple[nbformat.NotebookNode, dict]:
    """Run every cell (errors recorded, not raised) in the venv, from an empty folder; then PROBE."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "notebook.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run([str(python), "-c", RUNNER, str(path), str(workdir), str(CELL_TIMEOUT)],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"the notebook runner failed:\n{proc.stderr[-4000:]}"
    done = nbformat.read(path, as_version=4)
    probe = "".join(o.get("text", "") for o in done.cells[-1].get("outputs", []) if o.get("name") == "stdout")
    match = re.search(r"COLAB-ENV (.*)", probe)
    assert match, f"the environment probe printed nothing: {done.cells[-1].get('outputs')}"
    return done, json.loads(match.group(1))


def errors(cell: dict) -> list[dict[str, Any]]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _label(cell: dict, index: int) -> str:
    return _nbgrader(cell).get("grade_id") or f"cell {index}"


def _has_code(source: str) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in source.splitlines())


@pytest.fixture(scope="module")
def runs(colab_venv: Path, env: dict[str, str],
         tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple]:
    """Each student notebook, blank and with solutions, run in the Colab-like venv (two at a time)."""
    jobs = {}
    for notebook in student_notebooks():
        name = Path(notebook).stem
        jobs[(name, "blank")] = nbformat.read(REPO / notebook, as_version=4)
        jobs[(name, "solved")] = with_solutions(name)
    root = tmp_path_factory.mktemp("colab-runs")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run_notebook, colab_venv, nb, root / f"{key[0]}-{key[1]}", env)
                   for key, nb in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


NOTEBOOKS = [Path(p).stem for p in student_notebooks()]


def test_environment_is_colab_like(colab_venv: Path, env: dict[str, str]) -> None:
    proc = subprocess.run([str(colab_venv), "-m", "pip", "list", "--format=json"], capture_output=True,
                          text=True, env=env, check=True)
    installed = {p["name"].lower() for p in json.loads(proc.stdout)}
    assert not installed & {"nbgrader", "jupyter-book", "optim-dl-course", "jupyterlab", "notebook"}, installed


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solved_notebook_runs_in_colab_env(runs: dict, name: str) -> None:
    nb, env = runs[(name, "solved")]
    assert Path(env["prefix"]).resolve() == VENV.resolve(), f"the kernel ran in {env['prefix']}, not the venv"
    assert env["importable"] == [], f"the notebook could import {env['importable']}"
    failed = {_label(c, i): f"{e['ename']}: {e['evalue'][:500]}"
              for i, c in enumerate(nb.cells[:-1]) for e in errors(c)}
    assert not failed, f"{name} with the solutions filled in fails on Colab's packages: {failed}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_blank_notebook_fails_only_with_not_implemented(runs: dict, name: str) -> None:
    nb, env = runs[(name, "blank")]
    assert env["importable"] == []
    problems = []
    for i, cell in enumerate(nb.cells[:-1]):
        if cell.cell_type != "code":
            continue
        meta, label, errs = _nbgrader(cell), _label(cell, i), errors(cell)
        for e in errs:
            text = f"{e['ename']}: {e['evalue']}"
            if e["ename"] in BROKEN or NOT_WRITTEN not in text:
                problems.append(f"{label} fails with {text[:300]!r}, not a 'not written yet' message")
        if meta.get("grade") and not meta.get("solution") and _has_code(cell.source) and not errs:
            problems.append(f"{label}: the visible test passes although nothing is written")
        if not meta.get("grade") and meta.get("locked") and errs:
            problems.append(f"{label}: a set-up cell fails")
    assert not problems, f"{name} as handed out:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_intro_says_how_to_read_a_failure(name: str) -> None:
    nb = nbformat.read(REPO / "assignments" / name / f"{name}.ipynb", as_version=4)
    intro = next(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"how to read a fail", intro, re.IGNORECASE), \
        f"{name}: the first markdown cell should say how to read a failing test ('How to read a failing test.')"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_first_code_cell_sets_up_colab(runs: dict, name: str) -> None:
    """The first code cell is the Colab set-up: it knows Colab, installs nothing, and says where the tests run."""
    nb, _ = runs[(name, "blank")]
    cell = next(c for c in nb.cells if c.cell_type == "code")
    assert _nbgrader(cell).get("grade_id") == "setup-colab", f"{name}: the first code cell is not setup-colab"
    assert "google.colab" in cell.source
    assert not re.search(r"pip install|^\s*[!%]", cell.source, re.MULTILINE), f"{name}: setup-colab installs things"
    said = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    assert re.search(r"GPU|CPU", said), f"{name}: setup-colab does not say where the tests run: {said!r}"
