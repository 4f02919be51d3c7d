"""bench/scale.py as a smoke test: a class of 20 with the benchmark's mix (full, partial, blank, broken:
invalid JSON, an endless cell, a memory hog, a crash), graded with 2 local workers, again on a local
Dask cluster (every grade the same), and interrupted at half then resumed (nothing graded twice, no
row lost). The figures it prints are the benchmark's business; here only what must hold."""

import json
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow  # grades classes in subprocesses


def test_a_class_of_twenty_grades_resumes_and_agrees_on_dask():
    run = subprocess.run([sys.executable, str(REPO / "bench" / "scale.py"), "--n", "20", "--workers", "2",
                          "--no-tenth", "--dask", "--interrupt"], capture_output=True, text=True, timeout=1500,
                         cwd=REPO)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    local = next(f for f in figures if f.get("n") == 20)
    assert local["workers"] == 2 and local["report_mb"] < 10
    assert "dask: every grade, status and flag the same as local workers" in run.stdout
    interrupted = next(f["interrupted"] for f in figures if "interrupted" in f)
    assert 0 < interrupted["kept"] < 20 and interrupted["graded_on_resume"] == 20 - interrupted["kept"]
    assert "interrupted at half and resumed" in run.stdout
