"""The GPU check: the course and its grader where the students run, on CUDA (see README, "GPU check").

    scripts/gpu-check                      # cuda where there is one, else the CPU (CUDA checks skipped)
    scripts/gpu-check --device cuda        # a GPU machine: fail when there is no CUDA
    scripts/gpu-check --device cpu --assignments adam --json out.json   # what CI runs

Four checks, one line each (PASS, FAIL, SKIP, or INFO for a fact), a summary line, and every figure
in a JSON file:

1. notebooks: every solution notebook runs, all its tests (visible and hidden) passing, and every
   student notebook as handed out fails each visible test cleanly (NotImplementedError, never an
   import or name error); the device and dtypes the checks chose are counted;
2. class: a small class (the solution, the blank notebook, three wrong variants from
   tests/submissions/adam, a broken file) graded with `python -m autograder grade`: on cuda and on
   the CPU, the same scores, each as expected; the device every submission's optimizer stepped on,
   as its own code saw it, and how many submissions ran at once on a GPU;
3. sandbox: what the student's code sees of /dev (the GPU's nodes and nothing else new); a
   submission that takes all the memory (the GPU's where there is one) is stopped, and the next one
   still runs;
4. bench: the solutions' MyAdam/MyNAdam/MySGD step against torch's for-loop, foreach and fused
   steps: median time, bandwidth, share of the peak (1M and 10M parameters on a GPU).

Run it with the Python that should be checked: `scripts/gpu-check` picks this repository's `.venv`
where there is one, else builds `_build/gpu-venv` over the machine's Python with the wheels in
`gpu-wheels/` (scripts/gpu_env.py) and runs itself again there.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import gpu_env  # noqa: E402  (standard library only)

ASSIGNMENTS = ["adam", "autograd", "gradient_descent", "momentum", "schedules", "symmetry"]
CLASS_ASSIGNMENT = "adam"
WRONG_VARIANTS = ["wrong_eps_inside_sqrt", "wrong_state_by_shape", "wrong_no_bias_correction"]
BROKEN_KINDS = {"NameError", "ImportError", "ModuleNotFoundError", "SyntaxError", "IndentationError", "AttributeError"}
BASE_DEV = {"null", "zero", "full", "random", "urandom", "fd", "stdin", "stdout", "stderr", "shm"}
MARK = "GPU-CHECK "


@dataclass
class Line:
    check: str
    status: str  # PASS, FAIL, SKIP or INFO
    text: str
    details: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)


class Report:
    def __init__(self) -> None:
        self.lines: list[Line] = []

    def add(self, line: Line) -> Line:
        self.lines.append(line)
        print(f"{line.status:<4} {line.check:<24} {line.text}", flush=True)
        for detail in line.details:
            print(f"       {detail}", flush=True)
        return line


# -- what the submissions' own code reports (appended to their answer cells) --------------------------
WHERE_SNIPPET = '''
# gpu-check: where this code runs, printed into the grader's record of the submission's output
import json as _gc_json
import os as _gc_os
import time as _gc_time

import torch as _gc_torch
from torch.optim.optimizer import register_optimizer_step_post_hook as _gc_register

_gc_seen = set()


def _gc_step_seen(optimizer, args, kwargs):
    p = optimizer.param_groups[0]["params"][0]
    key = (type(optimizer).__name__, str(p.device), str(p.dtype).replace("torch.", ""))
    if key not in _gc_seen:
        _gc_seen.add(key)
        print("GPU-CHECK step " + _gc_json.dumps({"optimizer": key[0], "device": key[1], "dtype": key[2]}), flush=True)


_gc_register(_gc_step_seen)
_gc_cuda = _gc_torch.cuda.is_available()
print("GPU-CHECK cell " + _gc_json.dumps({
    "cuda": _gc_cuda, "visible": _gc_os.environ.get("CUDA_VISIBLE_DEVICES"),
    "gpu": _gc_torch.cuda.get_device_name(0) if _gc_cuda else None, "t": _gc_time.time(),
    "uid": _gc_os.getuid(), "cwd": _gc_os.getcwd()}), flush=True)
'''

DEVICES_SNIPPET = '''
# gpu-check: what this code sees of /dev, and whether a CUDA kernel runs here
_gc_dev = sorted(_gc_os.listdir("/dev"))
_gc_caps = sorted(_gc_os.listdir("/dev/nvidia-caps")) if _gc_os.path.isdir("/dev/nvidia-caps") else []
_gc_kernel = float((_gc_torch.ones(4, device="cuda") * 2).sum()) if _gc_cuda else None
print("GPU-CHECK devices " + _gc_json.dumps({"dev": _gc_dev, "caps": _gc_caps, "kernel": _gc_kernel}), flush=True)
'''

HOG_SNIPPET = '''
# gpu-check: take all the memory there is ({where}), {chunk_mb} MiB at a time, written, and keep it
import torch as _gc_torch

_gc_device = "cuda" if _gc_torch.cuda.is_available() else "cpu"
_gc_hog = []
try:
    while len(_gc_hog) < {chunks}:
        _gc_hog.append(_gc_torch.ones({chunk_mb} << 18, device=_gc_device))
        print("GPU-CHECK hog " + str(len(_gc_hog) * {chunk_mb}) + " MiB on " + _gc_device, flush=True)
except Exception as _gc_error:
    _gc_got = str(len(_gc_hog) * {chunk_mb})
    print("GPU-CHECK hog refused " + type(_gc_error).__name__ + " at " + _gc_got + " MiB", flush=True)
print("GPU-CHECK hog holds " + str(len(_gc_hog) * {chunk_mb}) + " MiB on " + _gc_device, flush=True)
# {padding}
'''


def marked(output: str, kind: str) -> list[dict]:
    """The JSON payloads of the `GPU-CHECK <kind>` lines a submission printed."""
    found = []
    for line in (output or "").splitlines():
        if line.startswith(f"{MARK}{kind} {{"):
            try:
                found.append(json.loads(line[len(MARK) + len(kind) + 1:]))
            except ValueError:
                pass
    return found


def hog_lines(output: str) -> list[str]:
    return [line[len(MARK):] for line in (output or "").splitlines() if line.startswith(MARK + "hog")]


# -- environment ----------------------------------------------------------------------------------------
def child_env(cpu_only: bool) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env["MPLBACKEND"] = "Agg"
    env.pop("AUTOGRADER_GRADING_WORKER", None)
    if cpu_only:
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def cuda_library_facts() -> dict:
    """Where this process loaded the CUDA driver from, and LD_LIBRARY_PATH: the sandbox starts with a
    clean environment (no LD_LIBRARY_PATH), so a driver found only through it is missing there."""
    facts = {"LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", "")}
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return facts
    found = sorted({line.split()[-1] for line in maps.splitlines() if "libcuda.so" in line})
    facts["libcuda"] = found
    if found:
        ldconfig = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout if shutil.which(
            "ldconfig") else ""
        facts["libcuda_in_ld_cache"] = "libcuda.so" in ldconfig
    return facts


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# -- 1. notebooks ---------------------------------------------------------------------------------------
def _run_notebook(notebook: Path, work: Path, env: dict, timeout: float) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    out = work / "run.json"
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, str(HERE / "run_notebook.py"), str(notebook), str(out)], cwd=work,
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failure": f"did not finish in {timeout:.0f} s", "seconds": timeout}
    if proc.returncode != 0 or not out.is_file():
        return {"failure": f"the runner failed (exit {proc.returncode}): {proc.stderr[-600:]}",
                "seconds": time.monotonic() - started}
    data = json.loads(out.read_text())
    data["wall_seconds"] = round(time.monotonic() - started, 2)
    return data


def _error_text(cell: dict) -> str:
    e = cell["error"]
    return f"{e['ename']}: {e['evalue']}"


def judge_solution(run: dict) -> tuple[list[str], int]:
    """Problems of a solution notebook's run (every cell must run), and how many test cells passed."""
    if "failure" in run:
        return [run["failure"]], 0
    problems = [f"{c['grade_id']} ({c['kind']}): {_error_text(c)[:300]}" for c in run["cells"] if c["error"]]
    passed = sum(1 for c in run["cells"] if c["kind"] == "test" and c["has_code"] and not c["error"])
    return problems, passed


def judge_blank(run: dict) -> tuple[list[str], int]:
    """Problems of a blank student notebook's run (the rules of tests/test_colab_env.py), and how many
    visible tests failed cleanly."""
    if "failure" in run:
        return [run["failure"]], 0
    problems, clean = [], 0
    for c in run["cells"]:
        if c["error"]:
            text = _error_text(c)
            if c["error"]["ename"] in BROKEN_KINDS or "NotImplementedError" not in text:
                problems.append(f"{c['grade_id']} fails with {text[:200]!r}, not a 'not written yet' message")
            elif c["kind"] == "setup":
                problems.append(f"{c['grade_id']}: a set-up cell fails: {text[:200]}")
            elif c["kind"] == "test":
                clean += 1
        elif c["kind"] == "test" and c["has_code"]:
            problems.append(f"{c['grade_id']}: the visible test passes although nothing is written")
    return problems, clean


def check_notebooks(report: Report, names: list[str], cuda: bool, cpu_only: bool, jobs: int, work: Path) -> None:
    env = child_env(cpu_only)
    todo = [(name, kind, REPO / folder / name / f"{name}.ipynb")
            for name in names for kind, folder in (("solution", "solutions"), ("blank", "assignments"))]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {(n, k): pool.submit(_run_notebook, p, work / f"{n}-{k}", env, 600) for n, k, p in todo}
        runs = {key: f.result() for key, f in futures.items()}
    for name in names:
        solution, blank = runs[(name, "solution")], runs[(name, "blank")]
        s_problems, passed = judge_solution(solution)
        b_problems, clean = judge_blank(blank)
        problems = [f"solution: {p}" for p in s_problems] + [f"blank: {p}" for p in b_problems]
        devices = solution.get("devices", {})
        dtypes = solution.get("dtypes", {})
        if cuda and not solution.get("cuda_available", False):
            problems.append("solution: torch saw no CUDA device in the notebook's process")
        if cuda and devices and not devices.get("cuda"):
            problems.append(f"solution: the checks never chose cuda ({devices})")
        where = ("chose " + ", ".join(f"{k} {v}x" for k, v in sorted(devices.items())) if devices else
                 "make no device choice (CPU-only checks)")
        kinds = ", ".join(f"{k} {v}x" for k, v in sorted(dtypes.items())) or "no dtype choice"
        text = (f"{name}: solution {passed} test cells pass; blank {clean} visible tests fail cleanly; "
                f"the checks {where}; {kinds} ({solution.get('wall_seconds', 0):.0f} s + "
                f"{blank.get('wall_seconds', 0):.0f} s)")
        report.add(Line(f"1 notebooks/{name}", "FAIL" if problems else "PASS", text, problems[:12],
                        {"solution_tests_passed": passed, "blank_visible_failed_cleanly": clean, "devices": devices,
                         "dtypes": dtypes, "solution_seconds": solution.get("wall_seconds"),
                         "blank_seconds": blank.get("wall_seconds"), "torch": solution.get("torch")}))


# -- the classes graded by `python -m autograder grade` -------------------------------------------------
def _notebooks_for_class() -> dict[str, tuple[bytes, dict]]:
    """student -> (notebook bytes, expectation) for the class of check 2."""
    from autograder.authoring.variants import answered_notebook, parse_variant, solution_answers, variant_notebook
    from autograder.paths import THIS_REPO
    from autograder.submission.read import load_source

    source = load_source(THIS_REPO.source_notebook(CLASS_ASSIGNMENT))
    release = json.loads(THIS_REPO.release_notebook(CLASS_ASSIGNMENT).read_text())
    solved = answered_notebook(json.loads(json.dumps(release)), solution_answers(source))
    class_ = {"solution": (solved, {"expect": "full", "fails": [], "flags": []}),
              "blank": (json.loads(json.dumps(release)), {"expect": "zero"})}
    for name in WRONG_VARIANTS:
        variant = parse_variant(REPO / "tests" / "submissions" / CLASS_ASSIGNMENT / f"{name}.py")
        class_[name.replace("_", "-")] = (variant_notebook(CLASS_ASSIGNMENT, variant),
                                          {"expect": variant.expect, "fails": variant.fails, "flags": variant.flags})
    out = {}
    for student, (nb, expect) in class_.items():
        _append(nb, "adam-impl", WHERE_SNIPPET)
        out[student] = (json.dumps(nb, indent=1).encode(), expect)
    whole = json.dumps(solved, indent=1).encode()
    out["broken"] = (whole[: len(whole) // 2], {"expect": "invalid"})  # a file cut in half: not JSON
    return out


def _append(nb: dict, grade_id: str, code: str) -> None:
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = source.rstrip("\n") + "\n\n" + code.strip("\n") + "\n"
            return
    raise KeyError(grade_id)


def _write_course(course: Path, notebooks: dict[str, bytes]) -> None:
    for student, data in notebooks.items():
        folder = course / "submitted" / student / CLASS_ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{CLASS_ASSIGNMENT}.ipynb").write_bytes(data)


def gradebook_mode() -> str:
    """How this Python can grade: "nbgrader" (the command as it is), "option" (the grader's own
    --no-gradebook), or "shim" (scripts/grade_without_gradebook.py)."""
    import importlib

    try:
        importlib.import_module("nbgrader.api")
        return "nbgrader"
    except Exception:
        pass
    help_text = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], capture_output=True, text=True,
                               env=child_env(False)).stdout
    return "option" if "--no-gradebook" in help_text else "shim"


def grade(course: Path, cpu_only: bool, mode: str, extra: list[str], timeout: float) -> dict:
    """Run the grade command on `course`; its results, its progress lines and the time it took."""
    args = [CLASS_ASSIGNMENT, "--course", str(course), "--isolation", "auto", "--force", *extra]
    if mode == "shim":
        cmd = [sys.executable, str(HERE / "grade_without_gradebook.py"), *args]
    else:
        cmd = [sys.executable, "-m", "autograder", "grade", *args] + (["--no-gradebook"] if mode == "option" else [])
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, env=child_env(cpu_only), capture_output=True, text=True, timeout=timeout)
        code, log = proc.returncode, proc.stderr + proc.stdout
    except subprocess.TimeoutExpired as error:
        code, log = -1, f"timed out after {timeout:.0f} s: {error.stderr or ''}"
    seconds = time.monotonic() - started
    results = {}
    for path in sorted((course / "autograded").glob(f"*/{CLASS_ASSIGNMENT}/result.json")):
        data = json.loads(path.read_text())
        data["_saved"] = path.stat().st_mtime
        results[path.parent.parent.name] = data
    where = next((line for line in log.splitlines() if line.startswith("grading ")), "")
    return {"exit": code, "log": log, "seconds": round(seconds, 1), "results": results, "where": where,
            "grades_csv": (course / "grades.csv").is_file(), "gradebook": (course / "gradebook.db").is_file()}


def failed_tests(result: dict) -> list[str]:
    return sorted(t["grade_id"] for t in result.get("tests", []) if not t["passed"])


def meets(result: Optional[dict], expect: dict) -> Optional[str]:
    """Why a result is not what the class expects of that submission (None: it is)."""
    if result is None:
        return "no result.json"
    score, top = result["score"], result["max_score"]
    if expect["expect"] == "invalid":
        return None if score == 0 and result["status"] != "ok" else f"{score:g}/{top:g}, status {result['status']!r}"
    if expect["expect"] == "zero":
        return None if score == 0 else f"{score:g}/{top:g}, expected 0"
    if expect["expect"] == "full" and (score != top or result["status"] != "ok"):
        return f"{score:g}/{top:g}, status {result['status'][:200]!r}, failed {failed_tests(result)}"
    if expect["expect"] == "partial" and not 0 < score < top:
        return f"{score:g}/{top:g}, expected partial"
    if expect.get("fails") is not None and failed_tests(result) != sorted(expect["fails"]):
        return f"failed {failed_tests(result)}, expected {sorted(expect['fails'])}"
    if sorted(result.get("flags", [])) != sorted(expect.get("flags", [])):
        return f"flags {result.get('flags')}, expected {expect.get('flags')}"
    return None


def describe(student: str, result: Optional[dict]) -> str:
    """One line per submission: score, status, the device it saw, its optimizer steps' devices."""
    if result is None:
        return f"{student}: no result"
    cell = marked(result.get("output", ""), "cell")
    steps = marked(result.get("output", ""), "step")
    recorded = result.get("device") or result.get("devices")  # a grader that records it itself
    saw = "device not reported (the code did not run)"
    if cell:
        c = cell[0]
        saw = (f"sandbox: CUDA_VISIBLE_DEVICES={c['visible']!s}, {c['gpu']}" if c["cuda"] else
               f"sandbox: no CUDA (CUDA_VISIBLE_DEVICES={c['visible']!s})")
    stepped = sorted({f"{s['device']} {s['dtype']}" for s in steps})
    return (f"{student}: {result['score']:g}/{result['max_score']:g} {result['status'][:80]}; {saw}; "
            f"steps on {', '.join(stepped) or '-'}" + (f"; grader recorded {recorded}" if recorded else "")
            + f"; {result.get('seconds', 0):.1f} s, peak {result.get('peak_memory_mb', 0):.0f} MB")


def concurrency(results: dict) -> int:
    """The most submissions graded at once: intervals [saved - seconds, saved] of their result.json."""
    events = []
    for r in results.values():
        end = r["_saved"]
        events += [(end - r.get("seconds", 0), 1), (end, -1)]
    most = now = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        now += step
        most = max(most, now)
    return most


def check_class(report: Report, cuda: bool, mode: str, work: Path) -> dict:
    class_ = _notebooks_for_class()
    expect = {s: e for s, (_, e) in class_.items()}
    runs = {}
    for label, cpu_only in (("cuda", False), ("cpu", True)):
        if label == "cuda" and not cuda:
            report.add(Line("2 class/cuda", "SKIP", "no CUDA: the class was graded on the CPU only"))
            continue
        course = work / f"class-{label}"
        _write_course(course, {s: data for s, (data, _) in class_.items()})
        run = grade(course, cpu_only, mode, [], 600)
        runs[label] = run
        wrong = {s: why for s in class_ if (why := meets(run["results"].get(s), expect[s]))}
        ok = run["exit"] == 0 and not wrong and run["grades_csv"]
        details = [describe(s, run["results"].get(s)) for s in class_]
        details += [f"NOT AS EXPECTED {s}: {why}" for s, why in wrong.items()]
        if run["exit"] != 0:
            details.append(f"grade exited {run['exit']}: {run['log'][-800:]}")
        if label == "cuda":
            on_cuda = [s for s in class_ if any(st["device"].startswith("cuda")
                                                for st in marked(run["results"].get(s, {}).get("output", ""), "step"))]
            off = [s for s in class_ if any(not st["device"].startswith("cuda")
                                            for st in marked(run["results"].get(s, {}).get("output", ""), "step"))]
            if off or "solution" not in on_cuda:
                ok = False
                details.append(f"optimizer steps off cuda in {off or '-'}; on cuda in {on_cuda or '-'}")
        gradebook = {"nbgrader": "nbgrader gradebook (SQLite) written" if run["gradebook"] else "NO gradebook.db",
                     "option": "no gradebook (--no-gradebook)",
                     "shim": "no gradebook (nbgrader absent: scripts/grade_without_gradebook.py)"}[mode]
        if mode == "nbgrader" and not run["gradebook"]:
            ok = False
        report.add(Line(f"2 class/{label}", "PASS" if ok else "FAIL",
                        f"{len(run['results'])}/{len(class_)} graded ({run['where'][8:] or '?'}) "
                        f"in {run['seconds']:.0f} s,"
                        f" each as expected{'' if not wrong else ' BUT ' + ', '.join(wrong)}; {gradebook}",
                        details, {"seconds": run["seconds"], "exit": run["exit"], "gradebook": mode,
                                  "submissions": {s: _summary(r) for s, r in run["results"].items()}}))
    if "cuda" in runs and "cpu" in runs:
        a, b = runs["cuda"]["results"], runs["cpu"]["results"]
        differ = [s for s in class_ if _verdict(a.get(s)) != _verdict(b.get(s))]
        report.add(Line("2 class/same-scores", "FAIL" if differ else "PASS",
                        "the same scores, failed tests and flags on cuda as on the CPU" if not differ else
                        f"cuda and CPU differ for {differ}",
                        [f"{s}: cuda {_verdict(a.get(s))} / cpu {_verdict(b.get(s))}" for s in differ]))
        results = runs["cuda"]["results"]
        most = concurrency(results)
        visible = sorted({str(c["visible"]) for r in results.values() for c in marked(r.get("output", ""), "cell")})
        gpus = max(1, len(cuda_devices()))
        report.add(Line("2 class/one-per-gpu", "PASS" if most <= gpus else "FAIL",
                        f"at most {most} submission(s) graded at once on {gpus} GPU(s); the sandboxes saw "
                        f"CUDA_VISIBLE_DEVICES {', '.join(visible) or '-'}", [],
                        {"most_at_once": most, "gpus": gpus, "visible": visible}))
    else:
        report.add(Line("2 class/same-scores", "SKIP", "no CUDA: nothing to compare the CPU's scores with"))
        report.add(Line("2 class/one-per-gpu", "SKIP", "no CUDA"))
    return runs


def _summary(result: dict) -> dict:
    return {"score": result["score"], "max_score": result["max_score"], "status": result["status"],
            "failed": failed_tests(result), "flags": result.get("flags", []), "seconds": result.get("seconds"),
            "peak_memory_mb": result.get("peak_memory_mb"), "timings": result.get("timings"),
            "cell": marked(result.get("output", ""), "cell")[:1], "steps": marked(result.get("output", ""), "step"),
            "device": result.get("device") or result.get("devices")}


def _verdict(result: Optional[dict]) -> Any:
    if result is None:
        return None
    return (result["score"], failed_tests(result), sorted(result.get("flags", [])))


def cuda_devices() -> list[str]:
    from autograder.classroom.local import cuda_devices as devices

    return devices()


def check_fork_server(report: Report) -> None:
    """The workers fork from a server that has imported the grader: CUDA must not be initialised
    there (a CUDA driver does not survive fork, and CUDA_VISIBLE_DEVICES, set in each worker to pin
    it, is read once, when the driver starts)."""
    code = ("import importlib, json, torch\n"
            "from autograder.classroom import local\n"
            "for name in local._PRELOAD:\n"
            "    importlib.import_module(name)\n"
            "maps = open('/proc/self/maps').read()\n"
            "print(json.dumps({'libcuda': 'libcuda.so' in maps, 'initialized': torch.cuda.is_initialized()}))")
    proc = subprocess.run([sys.executable, "-c", code], env=child_env(False), capture_output=True, text=True)
    try:
        facts = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        report.add(Line("2 class/fork-server", "FAIL", f"could not import the workers' modules: {proc.stderr[-300:]}"))
        return
    bad = facts["libcuda"] or facts["initialized"]
    report.add(Line("2 class/fork-server", "FAIL" if bad else "PASS",
                    "importing the workers' modules " + ("loads the CUDA driver before the fork: pinning a worker to "
                                                         "its GPU cannot work" if bad else
                                                         "leaves CUDA alone: each worker starts it after its pinning"),
                    [], facts))


# -- 3. the sandbox on this machine ----------------------------------------------------------------------
def host_gpu_nodes() -> set[str]:
    dev = Path("/dev")
    return {p.name for p in dev.glob("nvidia*") if p.is_char_device() or p.name == "nvidia-caps"}


def check_sandbox(report: Report, cuda: bool, mode: str, work: Path) -> None:
    import torch

    from autograder.authoring.variants import answered_notebook, solution_answers
    from autograder.paths import THIS_REPO
    from autograder.sandbox.limits import Limits
    from autograder.sandbox.view import as_root, namespaces_available

    isolated = namespaces_available()
    report.add(Line("3 sandbox/isolation", "INFO",
                    ("namespaces (unshare): a fresh root, /dev and /proc of its own, "
                     + ("its own uid" if as_root() else "a user namespace")) if isolated else
                    "limits alone: this kernel refuses the sandbox's namespaces (--isolation auto fell back)",
                    [], {"namespaces": isolated, "root": as_root()}))
    source = json.loads(THIS_REPO.source_notebook(CLASS_ASSIGNMENT).read_text())
    release = json.loads(THIS_REPO.release_notebook(CLASS_ASSIGNMENT).read_text())
    memory_mb = Limits().memory_mb
    if cuda:
        total_mb = torch.cuda.get_device_properties(0).total_memory >> 20
        chunk, chunks, where = 1024, total_mb // 1024 + 2, f"the GPU's {total_mb} MiB"
    else:
        chunk, chunks, where = 256, (memory_mb * 3) // 256, f"up to {3 * memory_mb} MiB of RAM"
    notebooks = {}
    for student, extra_cells in (("a-hog", {"nadam-impl": HOG_SNIPPET.format(where=where, chunk_mb=chunk, chunks=chunks,
                                                                             padding="x" * 4000)}),
                                 ("b-devices", {"adam-impl": WHERE_SNIPPET + DEVICES_SNIPPET}),
                                 ("c-next", {"adam-impl": WHERE_SNIPPET})):
        nb = answered_notebook(json.loads(json.dumps(release)), solution_answers(source))
        for grade_id, code in extra_cells.items():
            _append(nb, grade_id, code)
        notebooks[student] = json.dumps(nb, indent=1).encode()
    course = work / "sandbox"
    _write_course(course, notebooks)
    # one worker: the submissions one after the other, the hog first (the biggest notebook goes first)
    run = grade(course, cpu_only=not cuda, mode=mode, extra=["--workers", "1", "--no-report"], timeout=600)
    results = run["results"]
    if run["exit"] != 0:
        report.add(Line("3 sandbox/grade", "FAIL", f"grade exited {run['exit']}", [run["log"][-800:]]))

    # what the student's code sees of /dev
    seen = marked(results.get("b-devices", {}).get("output", ""), "devices")
    if not seen:
        report.add(Line("3 sandbox/devices", "FAIL", "the submission's /dev listing did not come back",
                        [describe("b-devices", results.get("b-devices"))]))
    elif not isolated:
        report.add(Line("3 sandbox/devices", "SKIP", f"no namespaces here: the code sees the host's /dev "
                                                     f"({len(seen[0]['dev'])} entries)"))
    else:
        inside = set(seen[0]["dev"])
        gpu_nodes = host_gpu_nodes()
        extra = sorted(inside - BASE_DEV - gpu_nodes)
        missing_nodes = sorted(gpu_nodes - inside)
        problems = [f"new in the sandbox: {extra}"] if extra else []
        if cuda:
            if missing_nodes:
                problems.append(f"GPU nodes missing: {missing_nodes}")
            if seen[0]["kernel"] != 8.0:
                problems.append(f"a CUDA kernel in the sandbox gave {seen[0]['kernel']} (expected 8.0: no CUDA there?)")
        gpu_text = (f"the GPU's nodes {sorted(inside & gpu_nodes)} (caps: {seen[0]['caps'] or '-'}), a CUDA kernel ran"
                    if cuda else "no GPU nodes (none on this machine)")
        report.add(Line("3 sandbox/devices", "FAIL" if problems else "PASS",
                        f"/dev holds {sorted(inside & BASE_DEV)} and {gpu_text}; nothing else", problems,
                        {"dev": sorted(inside), "host_gpu_nodes": sorted(gpu_nodes)}))
        if cuda and len([n for n in gpu_nodes if n[6:].isdigit()]) > 1:
            report.add(Line("3 sandbox/gpu-nodes", "INFO", "every /dev/nvidiaN is mounted, not only the pinned GPU's: "
                                                           "the code can reach the other GPUs by resetting "
                                                           "CUDA_VISIBLE_DEVICES"))
    if not cuda:
        report.add(Line("3 sandbox/gpu-devices", "SKIP", "no GPU: the GPU's device nodes were not checked"))

    # the hog: stopped, and the next submission still runs
    hog = results.get("a-hog")
    lines = hog_lines(hog.get("output", "")) if hog else []
    held = [line for line in lines if line.startswith("hog holds")]
    status = hog["status"] if hog else "no result"
    stopped = hog is not None and ("memory limit" in status or "killed" in status) and not held
    kind = "GPU memory" if cuda else "RAM"
    last = f"its last words: {lines[-1]}" if lines else "what it printed before the kill was not kept"
    text = (f"stopped: {status[:120]} ({last})" if stopped else
            f"NOT stopped: {(held or lines or ['no output'])[-1]}; status {status[:120]!r}; "
            f"score {hog['score'] if hog else '-'}")
    report.add(Line(f"3 sandbox/{'gpu' if cuda else 'ram'}-hog", "PASS" if stopped else "FAIL",
                    f"a submission taking all the {kind}: {text}", [describe("a-hog", hog)] + lines[-3:],
                    {"status": status, "last": lines[-1:] if lines else []}))
    if not cuda:
        report.add(Line("3 sandbox/gpu-hog", "SKIP", "no GPU: GPU memory was not taken"))
    after = results.get("c-next")
    problems = []
    if after is None or after["score"] != after["max_score"] or after["status"] != "ok":
        problems.append(describe("c-next", after))
    free_text = ""
    if cuda:
        free, total = torch.cuda.mem_get_info()
        free_text = f"; afterwards {free / total:.0%} of the GPU's memory is free"
        if free < 0.8 * total:
            problems.append(f"only {free >> 20} of {total >> 20} MiB free after grading")
        steps = marked(after.get("output", "") if after else "", "step")
        if not any(s["device"].startswith("cuda") for s in steps):
            problems.append(f"the next submission's steps were not on cuda: {steps}")
    report.add(Line("3 sandbox/next-runs", "FAIL" if problems else "PASS",
                    f"the next submission: {describe('c-next', after)}{free_text}", problems))


# -- 4. bench --------------------------------------------------------------------------------------------
def check_bench(report: Report, cuda: bool) -> dict:
    sys.path.insert(0, str(REPO))
    import torch

    from bench.optimizer_bench import run

    device = torch.device("cuda" if cuda else "cpu")
    sizes = [1_000_000, 10_000_000] if cuda else [100_000, 1_000_000]
    lines: list[str] = []
    try:
        figures = run(device, sizes, warmup=10 if cuda else 3, repeats=50 if cuda else 15,
                      copy_mb=1024 if cuda else 256, log=lines.append)
    except Exception as error:
        report.add(Line("4 bench", "FAIL", f"{type(error).__name__}: {error}"))
        return {}
    far = [r for r in figures["rows"] if (r.get("max_abs_diff_vs_for_loop") or 0) > 1e-3]
    peak = (f"peak {figures['peak_spec_GBps']} GB/s (spec), copy {figures['copy_GBps']} GB/s"
            if figures["peak_spec_GBps"] else
            f"copy {figures['copy_GBps']} GB/s (the share's reference; over 100%: the data stayed in cache)")
    mine = [r for r in figures["rows"] if r["implementation"].startswith("solution") and r["parameters"] == sizes[-1]]
    summary = "; ".join(f"{r['implementation'][9:]} {r['median_ms']:.3g} ms ({100 * r['share_of_peak']:.0f}%)"
                        for r in mine)
    report.add(Line("4 bench", "FAIL" if far else "PASS",
                    f"{figures['device_name']}: {peak}; at {sizes[-1]:,} params {summary}",
                    [line.strip() for line in lines] + [f"FAR FROM THE FOR-LOOP: {r['implementation']} "
                                                        f"{r['max_abs_diff_vs_for_loop']}" for r in far], figures))
    if not cuda:
        report.add(Line("4 bench/cuda", "SKIP", "no GPU: 1M and 10M parameters on cuda not measured"))
    return figures


# -- the command -----------------------------------------------------------------------------------------
def parse(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/gpu-check", description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto",
                   help="cuda: fail without CUDA; cpu: hide any GPU (CUDA checks skipped); auto (default): cuda if any")
    p.add_argument("--json", type=Path, default=REPO / "_build" / "gpu-check.json",
                   help="the figures (default _build/gpu-check.json)")
    p.add_argument("--assignments", default=",".join(ASSIGNMENTS), help="check 1's notebooks (default: all)")
    p.add_argument("--only", default="1,2,3,4", help="which checks to run (default 1,2,3,4)")
    p.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: cores, at most 6)")
    p.add_argument("--keep", type=Path, help="keep the graded courses and notebook runs in this folder")
    p.add_argument("--python", help="run the checks with this Python as it is")
    p.add_argument("--machine-python", help="build _build/gpu-venv over this Python and the carried wheels")
    p.add_argument("--wheels", type=Path, default=gpu_env.WHEELS, help="the carried wheels (default gpu-wheels/)")
    p.add_argument("--in-env", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    started = time.monotonic()
    if not args.in_env:
        python, env_info = gpu_env.choose_python(args.python, args.machine_python, args.wheels)
        os.environ["GPU_CHECK_ENV"] = json.dumps(env_info)
        if args.device == "cpu":
            os.environ["CUDA_VISIBLE_DEVICES"] = ""  # this process too: torch here sees no GPU
        os.environ["GPU_CHECK_STARTED"] = str(time.time())
        os.execv(python, [python, __file__, *argv, "--in-env"])
    return run_checks(args, json.loads(os.environ.get("GPU_CHECK_ENV", "{}")),
                      float(os.environ.get("GPU_CHECK_STARTED", time.time())), started)


def run_checks(args: argparse.Namespace, env_info: dict, started_wall: float, started: float) -> int:
    sys.path.insert(0, str(REPO))
    import torch

    have_cuda = torch.cuda.is_available()
    if args.device == "cuda" and not have_cuda:
        print("gpu-check: --device cuda, but torch sees no CUDA device", file=sys.stderr)
        return 2
    cuda = have_cuda and args.device != "cpu"
    only = set(args.only.split(","))
    report = Report()
    gpu = torch.cuda.get_device_name(0) if cuda else None
    libs = cuda_library_facts() if cuda else {}
    missing = gpu_env.missing(sys.executable, ["plotly", "nbformat", "nbgrader", "dask", "jupytext"])
    mode = gradebook_mode() if only & {"2", "3"} else "-"
    report.add(Line("0 environment", "INFO",
                    f"Python {sys.version.split()[0]}, torch {torch.__version__}, "
                    + (f"cuda {torch.version.cuda} on {gpu}" if cuda else
                       "CPU only (CUDA checks skipped: " + ("--device cpu" if have_cuda else "no GPU") + ")")
                    + f"; {env_info.get('how', '?')}; not importable: {', '.join(missing) or 'none'}",
                    [f"{k}: {v}" for k, v in env_info.items() if k in ("installed", "kept_machine_own", "installer",
                                                                       "wheels_mb", "base_python")]
                    + [f"{k}: {v}" for k, v in libs.items()],
                    {"python": sys.version, "torch": torch.__version__, "cuda": torch.version.cuda, "gpu": gpu,
                     "cores": cores(), "env": env_info, "missing": missing, "gradebook": mode, "cuda_libraries": libs}))
    work = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    figures: dict = {}
    try:
        if "1" in only:
            names = [a for a in args.assignments.split(",") if a]
            check_notebooks(report, names, cuda, not cuda, args.jobs or min(6, cores()), work / "notebooks")
        if "2" in only:
            if cuda:
                check_fork_server(report)
            check_class(report, cuda, mode, work)
        if "3" in only:
            check_sandbox(report, cuda, mode, work)
        if "4" in only:
            figures = check_bench(report, cuda)
    finally:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for item in work.iterdir():
                shutil.copytree(item, args.keep / item.name, dirs_exist_ok=True, symlinks=True)
        shutil.rmtree(work, ignore_errors=True)
    counts = {s: sum(1 for line in report.lines if line.status == s) for s in ("PASS", "FAIL", "SKIP", "INFO")}
    seconds = time.time() - started_wall
    where = f"cuda ({gpu})" if cuda else "the CPU"
    summary = (f"gpu-check summary: {counts['PASS']} pass, {counts['FAIL']} fail, {counts['SKIP']} skip on {where} "
               f"in {seconds:.0f} s" + ("" if cuda else "; the CUDA checks were SKIPPED (no GPU used)")
               + f"; figures in {args.json}")
    out = {"device": "cuda" if cuda else "cpu", "gpu": gpu, "seconds": round(seconds, 1), "counts": counts,
           "ok": counts["FAIL"] == 0, "cuda_skipped": not cuda, "checks": [asdict(line) for line in report.lines],
           "bench": figures, "summary": summary}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1, default=str))
    print(summary, flush=True)
    return 0 if counts["FAIL"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
