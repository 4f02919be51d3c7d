"""A submission cannot raise its own grade, see the grader's secrets, or write outside its folder.

One class is graded once (`python -m autograder grade adam --workers 2`, small limits), so the
sandbox start-ups overlap; each test then reads one student's row (grade AND status) and, where
it matters, what the student's code printed. Most attacks sit on top of the same wrong MyAdam
(no bias correction: it fails seven Adam tests, 22/40), so an attack that worked would show as a
higher grade or fewer failed tests; the control student `honest-wrong` pins that baseline.
"""

import html
import json
import os
import re
import sys
import uuid
from pathlib import Path

import pytest
from grader_fixtures import (
    failed_tests,
    file_hashes,
    grade_course,
    grades,
    notebook_with,
    result,
    solution_notebook,
    student_notebook,
    submit,
    variant_answers,
)

from autograder.classroom.feedback import without_traceback

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


MARK = uuid.uuid4().hex[:12]  # planted in files the sandbox must not see, and in file names it must not create
WRONG = variant_answers("wrong_no_bias_correction")["adam-impl"]
WRONG_FAILS = ["adam-api", "adam-args", "adam-eps", "adam-float32", "adam-state", "adam-update", "adam-weight-decay"]
ADAM_TESTS = sorted(set(WRONG_FAILS) | {"adam-args", "adam-grad", "adam-own-work"})
NADAM_TESTS = sorted([t.replace("adam", "nadam", 1) for t in ADAM_TESTS] + ["nadam-schedule"])

REWRITE_LATER_CELLS = r'''
import builtins
import sys


def _blank(lines):  # an IPython input transformer: later cells that test anything become empty
    return [] if any("check_" in line for line in lines) else lines


try:
    get_ipython().input_transformers_cleanup.append(_blank)
except Exception:
    pass
try:
    from IPython.core.inputtransformer2 import TransformerManager
    _transform = TransformerManager.transform_cell
    TransformerManager.transform_cell = lambda self, cell: "" if "check_" in cell else _transform(self, cell)
except Exception:
    pass


def _tracer(frame, event, arg):  # a trace hook that makes every check return at once
    if frame.f_code.co_name.startswith("check_"):
        frame.f_trace_lines = False
        return None
    return None


sys.settrace(_tracer)
_real_exec = builtins.exec


def _exec(code, *args, **kwargs):  # an exec hook that skips the cells calling the checks
    names = [code] if isinstance(code, str) else getattr(code, "co_names", ())
    if any("check_optimizer" in str(n) for n in names):
        return None
    return _real_exec(code, *args, **kwargs)


builtins.exec = _exec
'''

PATCH_COMPARISONS = r'''
import math
import numpy
import torch.testing

torch.allclose = lambda *args, **kwargs: True
torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(a, dtype=torch.bool)
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
numpy.allclose = lambda *args, **kwargs: True
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones_like(a, dtype=bool)
numpy.array_equal = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_almost_equal = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
'''

REPLACE_REFERENCE = r'''
import torch.optim.adam
import torch.optim.nadam

torch.optim.Adam = MyAdam
torch.optim.adam.Adam = MyAdam
torch.optim.NAdam = torch.optim.nadam.NAdam = MyAdam
'''

ALWAYS_EQUAL = r'''
class _Equal(float):
    """Equal to everything, whatever it is compared with."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


_step = MyAdam.step


def _step_returning_anything(self, closure=None):
    loss = _step(self, closure)
    return None if loss is None else _Equal(-12345.0)  # not the closure's loss, but "equal" to it


MyAdam.step = _step_returning_anything
'''

EXIT_DURING_TESTS = r'''
import os

_step = MyAdam.step


def _step_that_leaves(self, closure=None):
    if len(self.param_groups) > 1:  # the hidden "two groups" case: leave instead of answering
        os._exit(3)
    if self.param_groups[0]["lr"] == 0.2:  # the hidden "scheduled lr" case, late: interrupt
        raise KeyboardInterrupt
    return _step(self, closure)


MyAdam.step = _step_that_leaves
'''

WRITE_TO_PIPES = r'''
import json
import os

_step = MyAdam.step
_FAKE = {"ok": {"trajectory": [], "grads": [], "returned": [], "losses": [], "dtypes": [], "devices": [],
                "device": "cpu", "torch_calls": []}}


def _forge(message):
    for fd in range(3, 64):  # every open pipe end we can write to: one of them reaches the grader
        try:
            os.write(fd, (json.dumps(message) + "\n").encode())
        except OSError:
            pass


def _step_that_forges(self, closure=None):
    if not getattr(self, "_forged", False):
        self._forged = True
        _forge(_FAKE)
    return _step(self, closure)


MyAdam.step = _step_that_forges
_forge({"event": "ready"})  # "all cells done" before they are
_forge(_FAKE)
'''

REWRITE_OWN_NOTEBOOK = r'''
import glob

for _p in glob.glob("*.ipynb") + ["SUBMITTED"]:
    try:
        open(_p, "w").write("{}")
    except OSError as _e:
        print("REWRITE", _p, type(_e).__name__)
'''

FORK_OUTLIVES = r'''
import os
import sys

if os.fork() == 0:  # a child that leaves the process group and the session, then a Python that sleeps
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(SECONDS)"])
    os._exit(0)
'''

CHEAT_PROBES = r'''
import sys

_core = sys.modules["autograder_checks.core"]


def _run(namespace, cls, groups, steps=20, dtype="float64", device="auto", **kwargs):
    n = sum(len(g["shapes"]) for g in groups)  # no trajectory at all: nothing to compare
    return {"trajectory": [], "grads": [], "returned": [], "losses": [], "dtypes": [dtype] * n,
            "devices": ["cpu"] * n, "device": "cpu", "torch_calls": []}


def _construct(namespace, cls, options):
    bad = any(k != "betas" and v < 0 for k, v in options.items()) or not all(
        0 <= b < 1 for b in options.get("betas", [0.9, 0.999]))
    if bad:
        return {"raised": "ValueError", "message": "no"}
    group = {"lr": 1e-3 if cls == "MyAdam" else 2e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
             "momentum_decay": 4e-3}
    return {"raised": None, "group": group}


_core.PROBES["optimizer_run"] = _run
_core.PROBES["optimizer_construct"] = _construct
_core.PROBES["class_info"] = lambda namespace, cls: {
    "is_class": True, "mro": [f"__main__.{cls}", "torch.optim.optimizer.Optimizer", "builtins.object"]}
'''

# No MyAdam of its own, the probes rewritten to run torch's Adam (reached through the grader's own
# counting wrapper) and to deny it: what a submission could do before torch's Adam was switched off.
CHEAT_WITH_TORCH = r'''
import sys

_core = sys.modules["autograder_checks.core"]
_optimizers = sys.modules["autograder_checks.optimizers"]
_engine = getattr(torch.optim, "A" + "dam")
_engine.step = _engine.step.__kwdefaults__["__original"]  # torch's own step, uncounted
_run = _core.PROBES["optimizer_run"]


def _disguised(namespace, cls, **kwargs):
    if cls != "MyAdam":
        return _run(namespace, cls, **kwargs)
    data = _run({cls: _engine}, cls, **kwargs)
    data["torch_calls"] = []
    return data


_core.PROBES["optimizer_run"] = _disguised
_core.PROBES["class_info"] = lambda namespace, cls: {
    "is_class": True, "mro": [f"__main__.{cls}", "torch.optim.optimizer.Optimizer", "builtins.object"]}
MyAdam = _engine
'''


def _snoop(course: Path, other: Path) -> str:
    """Code that looks for everything it must not see or touch, and prints one line per attempt."""
    targets = {
        "read_source": course / "solutions" / "adam" / "adam.ipynb",
        "read_other": other,
        "read_gradebook": course / "gradebook.db",
        "read_repo_solution": Path(__file__).resolve().parent.parent / "solutions" / "adam" / "adam.ipynb",
        "read_shadow": Path("/etc/shadow"),
    }
    listings = {"list_root": "/", "list_course": str(course), "list_submitted": str(course / "submitted"),
                "list_work": "/work", "list_repo": str(Path(__file__).resolve().parent.parent), "list_tmp": "/tmp",
                "list_dev": "/dev", "list_shm": "/dev/shm"}
    writes = {"write_course": course / f"planted-{MARK}", "write_tmp": Path("/tmp") / f"planted-{MARK}",
              "write_repo": Path(__file__).resolve().parent / f"planted-{MARK}",
              "write_shm": Path("/dev/shm") / f"planted-{MARK}", "write_own": Path(f"planted-{MARK}")}
    return f'''
import os as _os


def _report(label, action):
    try:
        value = action()
        print("SNOOP", label, "OK", repr(value)[:300])
    except Exception as error:
        print("SNOOP", label, "ERR", type(error).__name__)


for _label, _path in {json.dumps({k: str(v) for k, v in targets.items()})}.items():
    _report(_label, lambda: (len(open(_path, "rb").read()), b"{MARK}" in open(_path, "rb").read()))
for _label, _path in {json.dumps(listings)}.items():
    _report(_label, lambda: sorted(_os.listdir(_path)))
for _label, _path in {json.dumps({k: str(v) for k, v in writes.items()})}.items():
    _report(_label, lambda: open(_path, "w").write("{MARK}"))
_report("whoami", lambda: (_os.getuid(), _os.getcwd()))
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade one class holding every attack; returns the course folder (and the files' hashes before)."""
    course = tmp_path_factory.mktemp("integrity") / "course"
    # the course's own source notebook (as an instructor's course has), with a planted secret
    source = solution_notebook()
    source["cells"].append({"cell_type": "markdown", "metadata": {}, "source": f"SECRET-SOURCE-{MARK}"})
    (course / "solutions" / "adam").mkdir(parents=True)
    (course / "solutions" / "adam" / "adam.ipynb").write_text(json.dumps(source))
    other = submit(course, "other-student", json.dumps({"secret": f"SECRET-OTHER-{MARK}"}))  # not graded: cheap

    wrong = {"adam-impl": WRONG}
    submit(course, "honest-wrong", notebook_with(answers=wrong))
    submit(course, "rewrites-later-cells", notebook_with(answers={"adam-impl": WRONG + REWRITE_LATER_CELLS}))
    submit(course, "patches-comparisons", notebook_with(answers={"adam-impl": WRONG + PATCH_COMPARISONS}))
    submit(course, "replaces-reference", notebook_with(answers={"adam-impl": WRONG + REPLACE_REFERENCE}))
    submit(course, "always-equal", notebook_with(append={"adam-impl": ALWAYS_EQUAL}))
    submit(course, "exits-in-cells", notebook_with(answers={"adam-impl": WRONG + "\nraise SystemExit(0)\n"},
                                                   append={"nadam-impl": "raise KeyboardInterrupt"}))
    submit(course, "os-exit-in-cell", notebook_with(append={"nadam-impl": "import os\nos._exit(0)"}))
    submit(course, "exits-during-tests", notebook_with(append={"adam-impl": EXIT_DURING_TESTS}))
    submit(course, "writes-to-pipes", notebook_with(append={"adam-impl": WRITE_TO_PIPES}))
    sleeper = str(900000 + int(MARK[:5], 16) % 99999)
    submit(course, "forks-a-sleeper", notebook_with(answers={"adam-impl": WRONG + FORK_OUTLIVES.replace(
        "SECONDS", sleeper)}))
    submit(course, "cheats-probes", notebook_with(blank=True, append={"adam-impl": CHEAT_PROBES}))
    submit(course, "cheats-with-torch", notebook_with(answers={"adam-impl": CHEAT_WITH_TORCH}))
    submit(course, "snoops", notebook_with(append={"nadam-impl": _snoop(course, other)}))

    # edits its test cells in the file: the visible Adam test emptied, the first hidden one deleted,
    # and at run time tries to rewrite the notebook it came from
    nb = notebook_with(answers={"adam-impl": WRONG + REWRITE_OWN_NOTEBOOK})
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "adam-update":
            cell["source"] = "print('MyAdam passes the visible tests.')"
    nb["cells"] = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                   != "adam-eps"]
    path = submit(course, "edits-tests", nb)
    path.write_text(path.read_text().replace("SUBMITTED", str(path)))

    before = file_hashes(course / "submitted")
    run = grade_course(course)
    return {"course": course, "before": before, "sleeper": sleeper, "run": run}


def _allowed_at_root() -> set[str]:
    """What the sandbox's / may hold: its own folders and the first parts of the system and Python folders."""
    from autograder.sandbox.view import visible_paths

    mounted = {Path(p).parts[1] for p in visible_paths(sys.executable)}
    return {"dev", "proc", "sys", "tmp", "sandbox", "grader"} | mounted


def _row(graded, student):
    return grades(graded["course"])[student]


def _score(row):
    return float(row["score"]), float(row["max_score"])


def test_control_wrong_adam_baseline(graded):
    row = _row(graded, "honest-wrong")
    assert _score(row) == (22, 40) and row["status"] == "ok" and row["flags"] == ""
    assert failed_tests(graded["course"], "honest-wrong") == WRONG_FAILS


def test_rewriting_later_cells_changes_nothing(graded):
    """Input transformers, a trace hook and an exec hook that would blank the tests in a kernel."""
    row = _row(graded, "rewrites-later-cells")
    assert _score(row) == (22, 40) and row["status"] == "ok"
    assert failed_tests(graded["course"], "rewrites-later-cells") == WRONG_FAILS
    assert row["flags"] == "suspicious-code"  # settrace, TransformerManager...: put before a human


def test_patched_comparisons_change_nothing(graded):
    """torch.allclose, assert_close, numpy's and math's comparisons, Tensor.__eq__ all made to agree."""
    row = _row(graded, "patches-comparisons")
    assert _score(row) == (22, 40) and row["status"] == "ok" and row["flags"] == ""
    assert failed_tests(graded["course"], "patches-comparisons") == WRONG_FAILS


def test_replacing_the_reference_changes_nothing(graded):
    """torch.optim.Adam = MyAdam inside the sandbox: the reference is computed in the grader. Naming torch's
    Adam in the answer costs nothing (own work is judged by behaviour and similarity, not spelling)."""
    row = _row(graded, "replaces-reference")
    assert _score(row) == (22, 40) and row["status"] == "ok" and row["flags"] == ""
    assert failed_tests(graded["course"], "replaces-reference") == WRONG_FAILS


def test_always_equal_objects_do_not_pass(graded):
    row = _row(graded, "always-equal")
    assert _score(row) == (38, 40) and row["status"] == "ok" and row["flags"] == ""
    assert failed_tests(graded["course"], "always-equal") == ["adam-api"]
    message = [t for t in result(graded["course"], "always-equal")["tests"] if t["grade_id"] == "adam-api"][0]
    assert "returned -12345" in message["message"]


def test_exceptions_that_exit_are_cell_errors(graded):
    """SystemExit and KeyboardInterrupt raised by a cell end that cell only (as in Jupyter)."""
    row = _row(graded, "exits-in-cells")
    assert _score(row) == (22, 40) and row["status"] == "ok" and row["flags"] == ""
    assert failed_tests(graded["course"], "exits-in-cells") == WRONG_FAILS
    errors = result(graded["course"], "exits-in-cells")["cell_errors"]
    assert errors["adam-impl"].startswith("SystemExit") and errors["nadam-impl"].startswith("KeyboardInterrupt")


def test_exiting_the_process_in_a_cell_loses_that_cell(graded):
    """os._exit in the NAdam cell: the process is started again without that cell; NAdam's tests fail,
    Adam's are graded."""
    row = _row(graded, "os-exit-in-cell")
    assert _score(row) == (20, 40) and row["flags"] == "suspicious-code"
    assert row["status"] == "the Python process exited (code 0) during cell nadam-impl"
    assert failed_tests(graded["course"], "os-exit-in-cell") == sorted(NADAM_TESTS)


def test_exiting_during_a_test_fails_that_test(graded):
    """os._exit and KeyboardInterrupt inside step() when a hidden case comes: those tests fail, the rest
    are graded in a fresh process."""
    row = _row(graded, "exits-during-tests")
    assert _score(row) == (34, 40) and row["flags"] == "suspicious-code"
    assert failed_tests(graded["course"], "exits-during-tests") == ["adam-api", "adam-grad", "adam-state"]
    assert row["status"] == "the Python process exited (code 3) during a test of your code (MyAdam)"


def test_forged_replies_on_the_pipe_do_not_pass(graded):
    """Fake protocol messages written to every pipe: a forged "ready" during the cells and a fake (empty)
    trajectory during a test. The forgeries are recognised; MyAdam's tests fail, MyNAdam's are graded."""
    row = _row(graded, "writes-to-pipes")
    assert _score(row) == (20, 40)
    assert sorted(row["flags"].split()) == ["sandbox-tampering", "suspicious-code"]
    assert row["status"].startswith("answers from the sandbox that the grading code never sends")
    assert failed_tests(graded["course"], "writes-to-pipes") == sorted(ADAM_TESTS)


def test_forked_process_does_not_outlive_grading(graded):
    row = _row(graded, "forks-a-sleeper")
    assert _score(row) == (22, 40) and row["status"] == "ok" and row["flags"] == "suspicious-code"
    assert failed_tests(graded["course"], "forks-a-sleeper") == WRONG_FAILS
    sleepers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"time.sleep({graded['sleeper']})".encode() in b" ".join(cmdline):
            sleepers.append(pid)
    assert not sleepers, f"the forked process outlived grading: {sleepers}"


def test_rewritten_probes_are_caught(graded):
    """No implementation; the sandbox's probes rewritten to answer "no trajectory", "ValueError",
    "a subclass of Optimizer". The answers do not have the probe's shape: every test fails."""
    row = _row(graded, "cheats-probes")
    assert _score(row) == (0, 40)
    assert sorted(row["flags"].split()) == ["sandbox-tampering", "suspicious-code"]
    assert row["status"].startswith("answers from the sandbox that the grading code never sends")


def test_disguised_torch_adam_gets_no_marks_for_adam(graded):
    """Probes rewritten to run torch's own Adam and deny it: torch's Adam is switched off in the sandbox
    (switch_off.py), so the rewritten probes meet the stub; every MyAdam test fails, the code is flagged
    (it reaches into sys.modules, the probes, __kwdefaults__), and NAdam's own tests still pass."""
    row = _row(graded, "cheats-with-torch")
    assert _score(row) == (20, 40) and row["status"] == "ok"
    assert failed_tests(graded["course"], "cheats-with-torch") == sorted(ADAM_TESTS)
    assert sorted(row["flags"].split()) == ["suspicious-code", "uses-torch-adam", "uses-torch-implementation"]
    notes = result(graded["course"], "cheats-with-torch")["notes"]
    assert any("PROBES" in n and "__kwdefaults__" in n and "sys.modules" in n for n in notes), notes
    assert any(n.startswith("torch's own implementation called") and "switched off" in n for n in notes), notes


def test_editing_test_cells_in_the_file_changes_nothing(graded):
    row = _row(graded, "edits-tests")
    assert _score(row) == (22, 40)
    assert failed_tests(graded["course"], "edits-tests") == WRONG_FAILS
    assert row["status"] == ("test cell adam-update edited (restored); test cell adam-eps deleted (restored)")
    output = result(graded["course"], "edits-tests")["output"]
    assert re.search(r"REWRITE \S+/submitted/edits-tests/adam/adam.ipynb FileNotFoundError", output), output


def test_student_code_sees_and_writes_nothing_outside(graded):
    """Paths of the course (its source notebook, the gradebook, another student's folder), the repository,
    /work, the host's /tmp and /dev/shm: unreadable or absent; writes land nowhere outside the sandbox."""
    course = graded["course"]
    row = _row(graded, "snoops")
    assert _score(row) == (40, 40) and row["status"] == "ok" and row["flags"] == ""
    output = result(course, "snoops")["output"]
    seen = {m[0]: (m[1], m[2]) for m in re.findall(r"^SNOOP (\S+) (OK|ERR) ?(.*)$", output, re.M)}
    assert len(seen) == 19, output
    for label in ("read_source", "read_other", "read_gradebook", "read_repo_solution", "list_course",
                  "list_submitted", "write_course", "write_repo"):
        assert seen[label][0] == "ERR", (label, seen[label])
    assert seen["read_shadow"] == ("ERR", "PermissionError")
    assert set(eval(seen["list_root"][1])) <= _allowed_at_root()  # a list's repr, printed by the sandbox
    for label, folder in (("list_work", "/work"), ("list_repo", str(Path(__file__).resolve().parent.parent))):
        if seen[label][0] == "OK":  # a folder on the way to the Python environment: only that path shows
            below = Path(sys.prefix).relative_to(folder).parts[0] if sys.prefix.startswith(folder + "/") else None
            assert eval(seen[label][1]) == ([below] if below else []), (label, seen[label])
    # a private /tmp, not the host's: empty but for the way to a Python environment that lives in /tmp
    on_the_way = {Path(p).relative_to("/tmp").parts[0] for p in (sys.prefix, sys.base_prefix)
                  if p.startswith("/tmp/")}
    assert set(eval(seen["list_tmp"][1])) == on_the_way, seen["list_tmp"]
    assert seen["write_tmp"][0] == seen["write_shm"][0] == seen["write_own"][0] == "OK"  # private, writable
    assert MARK not in output.replace(f"planted-{MARK}", "")  # no planted secret came back
    for place in (course, Path(__file__).resolve().parent):  # folders of this test's own
        assert not list(place.rglob(f"planted-{MARK}")), place
    for shared in (Path("/tmp"), Path("/dev/shm")):  # the host's: only the path the code wrote to
        assert not (shared / f"planted-{MARK}").exists(), shared
    uid, cwd = eval(seen["whoami"][1])
    assert cwd == "/sandbox" and (uid != 0 or os.geteuid() != 0)


def test_submitted_files_are_never_modified(graded):
    assert file_hashes(graded["course"] / "submitted") == graded["before"]


def test_feedback_explains_hidden_failures_without_their_source(graded):
    """Hidden tests' source lines appear in no student's feedback page; each failed hidden test is there
    by its title with its message (`--feedback full`, the default)."""
    course = graded["course"]
    student_text = json.dumps(student_notebook())
    hidden_lines = set()
    for cell in solution_notebook()["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, re.S):
            hidden_lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 12}
    hidden_lines = {line for line in hidden_lines if line not in student_text}
    assert len(hidden_lines) > 20
    for page in (course / "feedback").glob("*/adam/adam.html"):
        text = html.unescape(page.read_text())
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, (page, leaked[:3])
        failed = [t for t in result(course, page.parent.parent.name)["tests"] if t["hidden"] and not t["passed"]]
        assert all(t["title"].split(": ", 1)[-1] in text for t in failed), page
        assert all(without_traceback(t["message"])[:60] in text for t in failed), page


def _run_one_cell(box, source: str, switched_off: list = (), seconds: float = 60) -> str:
    """Run `source` as the only cell of a fresh sandbox; what it printed (the cell must finish)."""
    import time

    from autograder.checks import CHECK_MODULES

    box.start([{"grade_id": "cell", "source": source}], CHECK_MODULES, [], switched_off)
    try:
        errors, stuck = box.run_cells([{"grade_id": "cell"}], time.monotonic() + seconds)
        output = box.output_tail()
    finally:
        box.close()
    assert stuck is None and errors == {"cell": None}, (errors, output)
    return output


def test_user_namespace_sandbox_for_graders_that_are_not_root(monkeypatch, tmp_path):
    """A grader run by an ordinary user builds the same sandbox inside a user namespace (the student is then
    that user, without capabilities). Exercised here by taking the non-root path whoever runs the tests."""

    from autograder import sandbox
    from autograder.sandbox import view

    monkeypatch.setattr(view, "as_root", lambda: False)
    if not view.namespaces_available():
        pytest.skip("this kernel does not allow user namespaces")
    box = sandbox.Sandbox(sandbox.Limits(cell_timeout=30), "on")
    assert box.uid is None
    probe = (f"import os\nprint('ROOT', sorted(os.listdir('/')))\nprint('CWD', os.getcwd())\n"
             f"print('COURSE', os.path.exists({str(tmp_path)!r}))\n"
             f"for p in ('/planted', '/usr/planted', '/proc/sys/kernel/planted', {str(tmp_path / 'x')!r}):\n"
             f"    try:\n        open(p, 'w')\n        print('WROTE', p)\n    except OSError:\n        pass\n")
    output = _run_one_cell(box, probe, seconds=60)
    root = eval(re.search(r"^ROOT (.*)$", output, re.M).group(1))
    assert set(root) <= _allowed_at_root()
    assert "CWD /sandbox" in output and "COURSE False" in output and "WROTE" not in output
    assert not (tmp_path / "x").exists()


# Every way a submission could reach torch's own Adam inside its own process, each printed as
# REACHED (it got torch's code) or BLOCKED (with whether the error named the switch-off).
HUNTS_TORCH_ADAM = r'''
import gc
import glob
import importlib
import importlib.util
import os

import torch

_adam = importlib.import_module("torch.optim.adam")  # torch.optim deletes its submodules' names

def _try(label, fn):
    try:
        print("REACHED", label, repr(fn())[:80])
    except Exception as error:
        print("BLOCKED", label, "is switched off while grading" in str(error))


p = torch.zeros(3, requires_grad=True)
g, m, v, s = torch.ones(3), torch.zeros(3), torch.zeros(3), torch.tensor(1.0)
fused = dict(lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)
_try("class", lambda: torch.optim.Adam([p]))
_try("subclass", lambda: type("Mine", (torch.optim.Adam,), {})([p]))
_try("adamw", lambda: torch.optim.AdamW([p]))
_try("nadam", lambda: torch.optim.NAdam([p]))
_try("sgd", lambda: torch.optim.SGD([p], lr=0.1))
_try("functional", lambda: torch.optim._functional.adam([p], [g], [m], [v], [], [s], lr=0.1))
_try("single-tensor", lambda: _adam._single_tensor_adam([p], [g], [m], [v], [], [s]))
_try("reload", lambda: importlib.reload(_adam).Adam([p]))


def _fresh():
    spec = importlib.util.spec_from_file_location("torch.optim.fresh_adam", _adam.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Adam([p])


_try("fresh-import", _fresh)
_try("fused", lambda: torch._fused_adam_([p.detach()], [g], [m], [v], [], [s], **fused))
_try("fused-op", lambda: torch.ops.aten._fused_adam_.default([p.detach()], [g], [m], [v], [], [s], **fused))
_try("fused-out-of-place", lambda: torch.ops.aten._fused_adam([p.detach()], [g], [m], [v], [], [s], **fused))
_try("fused-adamw", lambda: torch._fused_adamw_([p.detach()], [g], [m], [v], [], [s], **fused))
_try("fused-sgd", lambda: torch._fused_sgd_([p.detach()], [g], [], weight_decay=0.0, momentum=0.0, lr=0.1,
                                            dampening=0.0, nesterov=False, maximize=False, is_first_step=True))
print("SOURCE", "exp_avg_sq.mul_" in open(_adam.__file__).read())
_compiled = glob.glob(os.path.join(os.path.dirname(_adam.__file__), "__pycache__", "adam.*.pyc"))
print("COMPILED", sorted(os.path.getsize(c) for c in _compiled))
print("HANDLES", sum(type(o).__name__ == "_DispatchModule" for o in gc.get_objects()))
# what stays: the base class and the general tensor operations
_try("optimizer-base", lambda: type("Mine", (torch.optim.Optimizer,), {})([p], {"lr": 0.1}).defaults)
_try("foreach", lambda: torch._foreach_add([m], [g])[0].sum().item())
'''


@pytest.mark.parametrize("isolation", ["on", "off"])
def test_torch_adam_is_out_of_reach_in_the_sandbox(isolation):
    """In the adam assignment's sandbox, torch's Adam, AdamW, NAdam, SGD (classes, functional forms,
    fused kernels) raise, reloading or re-reading torch's file finds the stub, the compiled copies are
    hidden, and the handle of the kernels' switch-off cannot be found. Optimizer and _foreach_ ops work.
    Without isolation (no mounts) the import routes are blocked but torch's file is still readable."""
    import importlib

    from autograder import sandbox
    from autograder.checks import declared
    from autograder.sandbox import view

    if isolation == "on" and not view.namespaces_available():
        pytest.skip("this machine cannot create the sandbox's namespaces")
    real = Path(importlib.import_module("torch.optim.adam").__file__).read_text()
    assert "exp_avg_sq.mul_" in real  # the marker of torch's own code the sandbox must not see
    box = sandbox.Sandbox(sandbox.Limits(cell_timeout=60), isolation)
    output = _run_one_cell(box, HUNTS_TORCH_ADAM, declared(["optimizers"], "_SWITCHED_OFF"), seconds=120)
    routes = ["class", "subclass", "adamw", "nadam", "sgd", "functional", "single-tensor", "reload", "fresh-import",
              "fused", "fused-op", "fused-out-of-place", "fused-adamw", "fused-sgd"]
    for route in routes:
        assert f"BLOCKED {route} True" in output, (route, output)
    assert "REACHED optimizer-base {'lr': 0.1}" in output and "REACHED foreach 3.0" in output, output
    assert "HANDLES 0" in output, output
    if isolation == "on":
        assert "SOURCE False" in output, output
        compiled = eval(re.search(r"^COMPILED (.*)$", output, re.M).group(1))
        assert set(compiled) <= {0}, output
