"""scripts/gpu-check: on the CPU (as CI runs it) it passes, says the CUDA checks were skipped, prints
one line per check and writes its figures; its judging pieces are tested in memory.

The CUDA half runs only on a GPU machine (README, "GPU check"); here it must be reported as skipped,
never as passed."""

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

_spec = importlib.util.spec_from_file_location("gpu_check", REPO / "scripts" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_check)

STATUS_LINE = re.compile(r"^(PASS|FAIL|SKIP|INFO) (\S+(?: \S+)?)\s{2,}", re.M)


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    """One run of the script as CI runs it (one assignment's notebooks, to keep it under two minutes)."""
    out = tmp_path_factory.mktemp("gpu-check") / "figures.json"
    proc = subprocess.run([str(REPO / "scripts" / "gpu-check"), "--device", "cpu", "--assignments", "adam",
                           "--json", str(out)], capture_output=True, text=True, timeout=900)
    return proc, json.loads(out.read_text()) if out.is_file() else None


def _line(figures: dict, check: str) -> dict:
    found = [c for c in figures["checks"] if c["check"] == check]
    assert len(found) == 1, f"{check}: {len(found)} lines"
    return found[0]


@pytest.mark.slow
def test_cpu_run_passes_and_says_cuda_was_skipped(cpu_run):
    proc, figures = cpu_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.match(r"gpu-check summary: \d+ pass, 0 fail, \d+ skip on the CPU", summary), summary
    assert "CUDA checks were SKIPPED" in summary
    assert figures is not None and figures["ok"] and figures["cuda_skipped"] and figures["device"] == "cpu"
    assert figures["summary"] == summary
    for check in ("2 class/cuda", "2 class/same-scores", "2 class/one-per-gpu", "3 sandbox/gpu-hog", "4 bench/cuda"):
        assert _line(figures, check)["status"] == "SKIP", check


@pytest.mark.slow
def test_one_line_per_check_as_in_the_json(cpu_run):
    proc, figures = cpu_run
    printed = [m.group(2) for m in STATUS_LINE.finditer(proc.stdout)]
    assert printed == [c["check"] for c in figures["checks"]]
    assert len(printed) == len(set(printed))


@pytest.mark.slow
def test_cpu_checks_pass_with_their_figures(cpu_run):
    _, figures = cpu_run
    assert _line(figures, "1 notebooks/adam")["status"] == "PASS"
    nb = _line(figures, "1 notebooks/adam")["figures"]
    assert nb["solution_tests_passed"] > 0 and nb["blank_visible_failed_cleanly"] > 0
    assert nb["devices"].get("cpu") and not nb["devices"].get("cuda")
    assert nb["dtypes"].get("float32") and nb["dtypes"].get("float64")

    graded = _line(figures, "2 class/cpu")
    assert graded["status"] == "PASS", graded
    subs = graded["figures"]["submissions"]
    assert set(subs) == {"solution", "blank", "broken", *(v.replace("_", "-") for v in gpu_check.WRONG_VARIANTS)}
    assert subs["solution"]["score"] == subs["solution"]["max_score"] > 0
    assert subs["blank"]["score"] == 0 and subs["broken"]["score"] == 0 and subs["broken"]["status"] != "ok"
    assert {s["device"] for s in subs["solution"]["steps"]} == {"cpu"}  # what the submission's own code saw
    assert {s["dtype"] for s in subs["solution"]["steps"]} == {"float32", "float64"}

    for check in ("3 sandbox/devices", "3 sandbox/ram-hog", "3 sandbox/next-runs", "4 bench"):
        assert _line(figures, check)["status"] == "PASS", _line(figures, check)
    rows = figures["bench"]["rows"]
    kinds = {(r["optimizer"], r["parameters"]) for r in rows}
    assert kinds == {(o, n) for o in ("Adam", "NAdam", "SGD") for n in (100_000, 1_000_000)}
    for r in rows:  # the bandwidth is the bytes an Adam/SGD step must move over the median time
        assert r["median_ms"] > 0
        implied = r["bytes_per_parameter"] * r["parameters"] / r["median_ms"] / 1e6
        assert abs(r["GBps"] - implied) <= 0.01 + 0.01 * implied
    assert all(r["max_abs_diff_vs_for_loop"] < 1e-3 for r in rows)


# -- the judging pieces, in memory -------------------------------------------------------------------------
def _cell(kind, error=None, grade_id="c", has_code=True):
    return {"grade_id": grade_id, "kind": kind, "has_code": has_code,
            "error": None if error is None else {"ename": error[0], "evalue": error[1]}}


def test_blank_notebook_judged_like_the_colab_test():
    clean = {"cells": [_cell("setup"), _cell("answer"), _cell("test", ("CheckFailure", "raised NotImplementedError"))]}
    assert gpu_check.judge_blank(clean) == ([], 1)
    broken = {"cells": [_cell("test", ("NameError", "name 'MyAdam' is not defined NotImplementedError"))]}
    assert gpu_check.judge_blank(broken)[0]
    passes = {"cells": [_cell("test")]}
    assert gpu_check.judge_blank(passes)[0]
    setup_fails = {"cells": [_cell("setup", ("RuntimeError", "NotImplementedError"))]}
    assert gpu_check.judge_blank(setup_fails)[0]
    assert gpu_check.judge_blank({"cells": [_cell("test", has_code=False)]}) == ([], 0)  # a hidden test's stub


def test_solution_notebook_fails_on_any_error():
    assert gpu_check.judge_solution({"cells": [_cell("test"), _cell("other")]}) == ([], 1)
    assert gpu_check.judge_solution({"cells": [_cell("other", ("ValueError", "x"))]})[0]
    assert gpu_check.judge_solution({"failure": "did not finish"})[0] == ["did not finish"]


def test_expectations():
    def result(score, status="ok", failed=(), flags=()):
        return {"score": score, "max_score": 10, "status": status, "flags": list(flags),
                "tests": [{"grade_id": g, "passed": False} for g in failed]}

    assert gpu_check.meets(result(10), {"expect": "full", "fails": [], "flags": []}) is None
    assert gpu_check.meets(result(9, failed=["a"]), {"expect": "full", "fails": [], "flags": []})
    assert gpu_check.meets(result(5, failed=["a"]), {"expect": "partial", "fails": ["a"], "flags": []}) is None
    assert gpu_check.meets(result(5, failed=["b"]), {"expect": "partial", "fails": ["a"], "flags": []})
    assert gpu_check.meets(result(0, "invalid notebook"), {"expect": "invalid"}) is None
    assert gpu_check.meets(result(0), {"expect": "invalid"})
    assert gpu_check.meets(None, {"expect": "zero"}) == "no result.json"


def test_marked_lines_and_concurrency():
    output = 'noise\nGPU-CHECK step {"device": "cuda:0", "dtype": "float32"}\nGPU-CHECK step {bad\nGPU-CHECK hog 1 MiB'
    assert gpu_check.marked(output, "step") == [{"device": "cuda:0", "dtype": "float32"}]
    assert gpu_check.hog_lines(output) == ["hog 1 MiB"]
    one_by_one = {"a": {"_saved": 10.0, "seconds": 5}, "b": {"_saved": 16.0, "seconds": 5}}
    assert gpu_check.concurrency(one_by_one) == 1
    overlapping = {"a": {"_saved": 10.0, "seconds": 5}, "b": {"_saved": 12.0, "seconds": 5}}
    assert gpu_check.concurrency(overlapping) == 2


def test_wheel_names():
    gpu_env = gpu_check.gpu_env
    assert gpu_env.wheel_name(Path("jupyter_server-2.21.1-py3-none-any.whl")) == "jupyter-server"
    assert gpu_env.wheel_name(Path("SQLAlchemy-2.1.9-cp312-cp312-manylinux2014_x86_64.whl")) == "sqlalchemy"
