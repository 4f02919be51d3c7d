"""The Python environment the GPU check runs in (standard library only: it runs before anything else).

A GPU machine brings its own Python with a CUDA build of torch, numpy, pytest, scikit-learn..., but
not the few pure-Python packages the course needs (plotly for the notebooks' set-up cells; nbgrader
and its dependencies for the gradebook). Those travel as wheels in `gpu-wheels/` (downloaded here by
`scripts/gpu-wheels`) and are installed, offline, into a virtual environment over the machine's
Python (`_build/gpu-venv`, with the machine's site-packages visible):

- a virtual environment, not PYTHONPATH, because the grader's sandbox runs `sys.executable` with a
  clean environment and a filesystem view that shows only the Python installation: packages on
  PYTHONPATH would be missing there, and every notebook's `import plotly` with them;
- a wheel whose distribution the machine already has is not installed (the machine's own stays);
- when the machine's Python is itself a virtual environment, a nested one would not see its
  packages: a `.pth` file lists the machine's site-packages folders.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
WHEELS = REPO / "gpu-wheels"
VENV = REPO / "_build" / "gpu-venv"

# Run by the machine's Python: what it has installed, and the folders its packages live in.
_PROBE = r"""
import importlib.metadata as md, json, site, sys
names = sorted({(d.metadata["Name"] or "").lower().replace("_", "-").replace(".", "-") for d in md.distributions()})
paths = [p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)]
try:
    paths += [p for p in site.getsitepackages() if p not in paths]
except AttributeError:
    pass
print(json.dumps({"installed": names, "site": paths, "version": sys.version.split()[0],
                  "venv": sys.prefix != sys.base_prefix, "prefix": sys.prefix}))
"""


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(path: Path) -> str:
    """The distribution a wheel file holds (`plotly-7.1.0-py3-none-any.whl` -> `plotly`)."""
    return normalise(path.name.split("-")[0])


def machine_facts(python: str) -> dict:
    out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        raise RuntimeError(f"no site-packages in {venv}")
    return found[0]


def _unpack(wheel: Path, target: Path) -> None:
    """Install a wheel by unpacking it (what pip does for a wheel without scripts): the archive's
    files, with `<name>.data/purelib|platlib/` moved to the top."""
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            parts = member.filename.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue  # scripts, headers, data files: nothing the check uses
                parts = parts[2:]
            dest = target.joinpath(*parts)
            if member.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            mode = member.external_attr >> 16
            if mode:
                os.chmod(dest, mode & 0o755 | 0o644)


def _stamp(python: str, wheels: list[Path]) -> str:
    text = "\n".join([os.path.realpath(python), *sorted(f"{w.name}:{w.stat().st_size}" for w in wheels)])
    return hashlib.sha256(text.encode()).hexdigest()


def build_env(python: str, wheels_dir: Path = WHEELS, venv: Path = VENV, log=print) -> tuple[str, dict]:
    """A virtual environment over `python` with the carried wheels it lacks; returns its python and
    what was done (for the report). Reused when neither the base Python nor the wheels changed."""
    wheels = sorted(wheels_dir.glob("*.whl")) if wheels_dir.is_dir() else []
    facts = machine_facts(python)
    stamp_file = venv / ".gpu-check-stamp"
    stamp = _stamp(python, wheels)
    venv_python = venv / "bin" / "python"
    info = {"base_python": python, "base_version": facts["version"], "base_is_venv": facts["venv"],
            "wheels_carried": len(wheels), "wheels_mb": round(sum(w.stat().st_size for w in wheels) / 2**20, 1)}
    if stamp_file.is_file() and stamp_file.read_text() == stamp and venv_python.exists():
        info.update(json.loads((venv / ".gpu-check-info").read_text()))
        info["reused"] = True
        return str(venv_python), info
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    site_dir = _site_packages(venv)
    # the machine's package folders (a nested venv would not see them otherwise; duplicates are ignored)
    (site_dir / "_gpu_check_machine.pth").write_text("\n".join(facts["site"]) + "\n")
    have = set(facts["installed"])
    todo = [w for w in wheels if wheel_name(w) not in have]
    skipped = sorted(wheel_name(w) for w in wheels if wheel_name(w) in have)
    how = "none"
    if todo:
        pip = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
                              "--no-deps", "--no-compile", "--upgrade", "--target", str(site_dir), *map(str, todo)],
                             capture_output=True, text=True, env={**os.environ, "PIP_NO_INPUT": "1"})
        how = "pip"
        if pip.returncode != 0:  # no pip on the machine, or one that refuses (an externally managed Python)
            how = f"unzip (pip: {(pip.stderr.strip().splitlines() or ['exit ' + str(pip.returncode)])[-1][:120]})"
            for wheel in todo:
                _unpack(wheel, site_dir)
    done = {"installed": sorted(wheel_name(w) for w in todo), "kept_machine_own": skipped, "installer": how}
    (venv / ".gpu-check-info").write_text(json.dumps(done))
    stamp_file.write_text(stamp)
    info.update(done)
    info["reused"] = False
    log(f"gpu-check: environment {venv} over {python} (Python {facts['version']}): "
        f"{len(todo)} wheel(s) installed with {how}, {len(skipped)} already on the machine")
    return str(venv_python), info


def missing(python: str, modules: list[str]) -> list[str]:
    """Which of `modules` `python` cannot import."""
    code = ("import importlib.util, json, sys\n"
            "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))")
    out = subprocess.run([python, "-c", code, *modules], capture_output=True, text=True)
    try:
        return json.loads(out.stdout)
    except ValueError:
        return modules


def choose_python(requested: Optional[str], machine_python: Optional[str], wheels_dir: Path = WHEELS,
                  log=print) -> tuple[str, dict]:
    """The Python to run the check with: `requested` as it is; else this repository's `.venv` (a
    developer's machine, CI); else a venv built over `machine_python` (default: the one running this)."""
    if requested:
        return requested, {"python": requested, "how": "given"}
    own = REPO / ".venv" / "bin" / "python"
    if machine_python is None and own.exists():
        return str(own), {"python": str(own), "how": "the repository's .venv"}
    base = machine_python or sys.executable
    python, info = build_env(base, wheels_dir, log=log)
    info.update(python=python, how="gpu-venv over the machine's Python")
    return python, info
