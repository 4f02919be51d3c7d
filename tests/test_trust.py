"""Trust in the grade, round two: new attacks of each kind, one small class per assignment.

Each class holds attacks and honest submissions in unusual styles, graded together through
`python -m autograder grade` (one worker, small limits). An attack must earn nothing it did not
compute; an honest submission, whatever its style, full marks and no flag.

Kinds of attack:
- forged replies: the sandbox's probes rewritten (reached without any name the screening knows) to
  answer with well-shaped but empty, partial or constant data;
- self-reports: a probe that says "no autograd", "saved for backward", "a subclass of Optimizer";
- another door to torch's implementation: an optimizer that is gradient descent under another name,
  softplus under another name;
- the grader's own reference, reached from the sandbox;
- honest code in odd styles: a self-check against torch's class in the same cell, a helper named like
  torch's function.
"""


import pytest
from grader_fixtures import failed_tests, grade_course, grades, notebook_with, result, solution_answers, submit

pytestmark = pytest.mark.slow  # grades classes in subprocesses

# The probes, reached as a submission can without any name the source screening looks for.
PROBES = '''
import sys as _s

_core = _s.modules["auto" + "grader_checks.core"]
_probes = _core.__dict__["PRO" + "BES"]
'''


def _graded(tmp_path_factory, assignment: str, submissions: dict) -> dict:
    course = tmp_path_factory.mktemp(assignment) / "course"
    for student, notebook in submissions.items():
        submit(course, student, notebook, assignment)
    grade_course(course, assignment, workers=1)
    rows = grades(course)
    for s, r in rows.items():  # seen with -s: what each got
        print(f"\n{assignment}/{s}: {r['score']}/{r['max_score']} flags={r['flags']!r} status={r['status'][:80]!r} "
              f"failed={failed_tests(course, s, assignment)}")
    return {s: {"score": float(r["score"]), "max": float(r["max_score"]), "flags": sorted(r["flags"].split()),
                "status": r["status"], "failed": failed_tests(course, s, assignment),
                "result": result(course, s, assignment)} for s, r in rows.items()}


def _full_and_clean(row: dict) -> None:
    assert row["score"] == row["max"] and row["flags"] == [] and row["status"] == "ok", \
        (row["score"], row["flags"], row["status"], row["failed"],
         [t["message"][:300] for t in row["result"]["tests"] if not t["passed"]])


# ---- schedules ---------------------------------------------------------------------------------------

FORGED_SCHEDULES = PROBES + '''

def _run(namespace, schedulers, lrs, epochs, resume_at=None, lr_changes=None, last_lr=True):
    return {"lrs": [], "last_lrs": [], "torch_calls": []}  # nothing to compare: every zip is empty


def _partial(namespace, schedulers, lrs, epochs, resume_at=None, lr_changes=None, last_lr=True):
    return {"lrs": [list(lrs)], "last_lrs": [], "torch_calls": []}  # epoch 0 is the initial lr: known


_probes["scheduler_run"] = _run
_probes["class_info"] = lambda namespace, cls: {
    "is_class": True, "mro": ["__main__." + cls, "torch.optim.lr_scheduler.LRScheduler", "builtins.object"]}
'''

SCHEDULES_SELF_CHECK = '''

# my own check, against torch's StepLR (it runs in my notebook)
_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
_mine, _theirs = MyStepLR(_opt, step_size=2), torch.optim.lr_scheduler.StepLR(
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), step_size=2)
print("self-check", _mine.get_last_lr() == _theirs.get_last_lr())
'''


@pytest.fixture(scope="module")
def schedules(tmp_path_factory):
    return _graded(tmp_path_factory, "schedules", {
        "forged-empty": notebook_with("schedules", blank=True, answers={"step-impl": FORGED_SCHEDULES}),
        "forged-partial": notebook_with("schedules", blank=True, answers={
            "step-impl": FORGED_SCHEDULES + '_probes["scheduler_run"] = _partial\n'}),
        "honest-self-check": notebook_with("schedules", append={"step-impl": SCHEDULES_SELF_CHECK}),
    })


def test_schedules_forged_replies_earn_nothing(schedules):
    for student in ("forged-empty", "forged-partial"):
        row = schedules[student]
        assert row["score"] == 0, (student, row["score"], row["failed"])
        assert "sandbox-tampering" in row["flags"], (student, row["flags"])


def test_schedules_self_check_against_torch_costs_nothing(schedules):
    _full_and_clean(schedules["honest-self-check"])


# ---- gradient descent ---------------------------------------------------------------------------------

FORGED_DESCENT = PROBES + '''

def _step(namespace, shape, lr, calls=1, dtype="float64", seed=0, device="auto"):
    return {"init": [], "grads": [], "values": [], "grads_after": [], "leaf": [], "requires_grad": [],
            "dtypes": [], "devices": [], "device": "cpu", "torch_calls": []}


def _reached(namespace, endpoints, minima, radius, device="auto"):  # a shape that says n, no values
    return {"result": {"tensor": True, "values": [], "dtype": "int64", "shape": [len(endpoints)], "device": "cpu",
                       "requires_grad": False, "integer": True}, "inputs_changed": False}


def _hand(namespace, shape, dtype="float64", seed=0, scale=10.0, device="auto", watch_autograd=False):
    return {"x": [], "result": {"tensor": False, "type": "NoneType"}, "input_changed": False, "autograd": False}


def _many(namespace, function, n, lr, steps, seed=0, low=0.0, high=10.0, start_dtype="float64",
          start_requires_grad=False, whole_batch=False, device="auto"):  # well shaped, never moving
    rows = [[[1.0, 1.0]] * n] * (steps + 1)
    return {"result": {"tensor": True, "values": rows, "dtype": "float64", "shape": [steps + 1, n, 2],
                       "device": "cpu", "requires_grad": False},
            "device": "cpu", "starts": [[1.0, 1.0]] * n, "start_changed": False, "start_requires_grad": False,
            "start_grad": False, "torch_calls": [], "partial_calls": [], "f_calls": steps, "ops": 50}


_probes.update(gd_step_run=_step, gd_reached=_reached, gd_hand_gradient=_hand, gd_many_run=_many)
'''

# Gradient descent under another name: RMSprop with alpha=1 keeps its average of squares at 0, so with
# eps=1 it divides by 1, and ASGD with lambd=0, alpha=0 is SGD. Honest-looking code, no tampering.
DESCENT_BY_RMSPROP = '''
def gradient_descent_step(param: torch.Tensor, lr: float) -> None:
    torch.optim.RMSprop([param], lr=lr, alpha=1.0, eps=1.0).step()
'''
DESCENT_BY_ASGD = '''
def gradient_descent_step(param: torch.Tensor, lr: float) -> None:
    torch.optim.ASGD([param], lr=lr, lambd=0.0, alpha=0.0, t0=1e30).step()
'''


# Honest, vectorised through torch.func: f is called under vmap on all the points at once.
DESCENT_BY_VMAP = '''
def gradient_descent_many(f, starts, lr, steps):
    gradient = torch.func.vmap(torch.func.grad(f))
    x = starts.detach().to(torch.float64).clone()
    path = [x.clone()]
    for _ in range(steps):
        x = x - lr * gradient(x)
        path.append(x.clone())
    return torch.stack(path)
'''

# Autograd in the hand-written gradient, with the probe that would tell rewritten to say "no autograd".
DESCENT_AUTOGRAD_HIDDEN = PROBES + '''
from torch.autograd import grad as _g


def grad_sin_cos(x):
    y = x.detach().clone().requires_grad_(True)
    value = torch.sin(y[..., 0]) * torch.cos(y[..., 1]) + torch.sin(y[..., 0] / 2) * torch.cos(y[..., 1] / 2)
    return _g(value.sum(), y)[0].detach()


_honest = _probes["gd_hand_gradient"]
_probes["gd_hand_gradient"] = lambda *a, **k: {**_honest(*a, **k), "autograd": False}
'''


@pytest.fixture(scope="module")
def descent(tmp_path_factory):
    return _graded(tmp_path_factory, "gradient_descent", {
        "forged": notebook_with("gradient_descent", blank=True, answers={"step-impl": FORGED_DESCENT}),
        "rmsprop": notebook_with("gradient_descent", answers={"step-impl": DESCENT_BY_RMSPROP}),
        "asgd": notebook_with("gradient_descent", answers={"step-impl": DESCENT_BY_ASGD}),
        "honest": notebook_with("gradient_descent"),
        "honest-vmap": notebook_with("gradient_descent", answers={"many-impl": DESCENT_BY_VMAP}),
        "autograd-hidden": notebook_with("gradient_descent", answers={"grad-impl": DESCENT_AUTOGRAD_HIDDEN}),
    })


def test_descent_forged_replies_earn_nothing(descent):
    row = descent["forged"]
    assert row["score"] == 0 and "sandbox-tampering" in row["flags"], (row["score"], row["flags"], row["failed"])


def test_descent_by_another_torch_optimizer_earns_nothing_for_the_step(descent):
    for student in ("rmsprop", "asgd"):
        row = descent[student]
        assert {"step-visible", "step-values", "step-in-place"} <= set(row["failed"]), (student, row["failed"])
        assert "uses-torch-implementation" in row["flags"], (student, row["flags"])


def test_descent_honest(descent):
    _full_and_clean(descent["honest"])
    _full_and_clean(descent["honest-vmap"])


def test_autograd_behind_a_forged_report_is_read_from_the_source(descent):
    row = descent["autograd-hidden"]
    assert row["failed"] == ["grad-by-hand"] and "uses-autograd" in row["flags"], (row["failed"], row["flags"])


# ---- autograd -----------------------------------------------------------------------------------------

FORGED_AUTOGRAD = PROBES + '''

def _graph(namespace, cls, x, args, device="auto"):  # "a Function, its own node, x saved"
    n = len(x) if isinstance(x, list) else 1
    return {"is_class": True, "mro": ["__main__." + cls, "torch.autograd.function.Function", "builtins.object"],
            "is_function": True, "overrides": {"forward": True, "backward": True}, "overrides_apply": False,
            "output": {"tensor": True, "dtype": "float64", "shape": [n], "device": "cpu", "requires_grad": True,
                       "grad_fn": cls + "Backward"},
            "saved": [{"shape": [n], "is_x": True, "is_y": False}], "ctx_tensors": []}


def _jacobian(namespace, cls, x, args, eps=1e-6, device="auto"):  # a constant forward, a zero backward
    flat = []
    stack = [x]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        else:
            flat.append(0.0)
    n = len(flat)
    return {"output": {"tensor": True}, "rows": [[0.0] * n for _ in range(n)], "plus": [[1.0] * n] * n,
            "minus": [[1.0] * n] * n, "gradcheck": True}


def _apply(namespace, cls, case, dtype="float64", device="auto"):
    return {"output": {"tensor": False, "type": "tuple"}}


_probes.update(function_graph=_graph, function_jacobian=_jacobian, function_apply=_apply)
'''

SOFTPLUS_BY = {  # softplus under another name: each one torch's stable kernel for log(1 + e^x)
    "logaddexp": "torch.logaddexp(x, torch.zeros_like(x))",
    "logsigmoid": "-torch.nn.functional.logsigmoid(-x)",
    "bce-with-logits": "torch.nn.functional.binary_cross_entropy_with_logits(x, torch.zeros_like(x), "
                       "reduction='none')",
    "logsumexp": "torch.logsumexp(torch.stack([x, torch.zeros_like(x)]), dim=0)",
    "aten-op": "torch.ops.aten.softplus(x, 1, 40)",
}
SOFTPLUS_TEMPLATE = '''
class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return FORMULA

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)
'''

# An honest StableSoftplus in an odd style: a helper named like torch's function, lots of comments, and a
# self-check against torch's softplus at the end of the cell.
SOFTPLUS_HONEST_ODD = '''
def softplus(t):
    # log(1 + e^t) = max(t, 0) + log(1 + e^-|t|): the exponent is never positive
    return torch.where(t > 0, t, torch.zeros_like(t)) + torch.log1p(torch.exp(-t.abs()))


class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)  # backward needs x
        return softplus(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)  # d/dx softplus = sigmoid


_t = torch.linspace(-5, 5, 11, dtype=torch.float64)
try:
    print("self-check", torch.allclose(StableSoftplus.apply(_t), torch.nn.functional.softplus(_t)))
except RuntimeError as _error:  # switched off while grading
    print("self-check skipped:", _error)
'''


@pytest.fixture(scope="module")
def autograd(tmp_path_factory):
    submissions = {"forged": notebook_with("autograd", blank=True, answers={"cube-impl": FORGED_AUTOGRAD}),
                   "honest-odd-style": notebook_with("autograd", answers={"softplus-impl": SOFTPLUS_HONEST_ODD})}
    for name, formula in SOFTPLUS_BY.items():
        submissions[f"softplus-by-{name}"] = notebook_with(
            "autograd", answers={"softplus-impl": SOFTPLUS_TEMPLATE.replace("FORMULA", formula)})
    return _graded(tmp_path_factory, "autograd", submissions)


def test_autograd_forged_self_reports_earn_nothing(autograd):
    """Well-shaped, consistent forgeries break no contract (so no flag), but earn nothing: gradcheck's and
    save_for_backward's points rest on forward values the grader checks and on the parsed source."""
    row = autograd["forged"]
    assert row["score"] == 0, (row["score"], row["flags"], row["failed"])
    assert {"cube-gradcheck", "cube-saved"} <= set(row["failed"])


def test_softplus_under_another_name_earns_nothing(autograd):
    softplus_tests = {"softplus-visible", "softplus-extremes", "softplus-float32", "softplus-tiny", "softplus-graph",
                      "softplus-own-work"}
    for name in SOFTPLUS_BY:
        row = autograd[f"softplus-by-{name}"]
        assert softplus_tests <= set(row["failed"]), (name, row["failed"])
        assert "uses-torch-implementation" in row["flags"], (name, row["flags"])


def test_autograd_honest_odd_style(autograd):
    _full_and_clean(autograd["honest-odd-style"])


# ---- symmetry -----------------------------------------------------------------------------------------

# The grader's own reference, as the sandbox holds it (its check modules are importable there): called,
# or read from the module's file and run.
SYMMETRY_REFERENCE = '''
import sys as _s

_m = _s.modules["auto" + "grader_checks.symmetry"].__dict__
make_constant_mlp = _m["_sym_constant_mlp"]
'''
SYMMETRY_REFERENCE_REPORT = '''
import sys as _s

_m = _s.modules["auto" + "grader_checks.symmetry"].__dict__


def all_entries_equal(model, atol=1e-6):
    return {name: _m["_sym_spread"](p) <= atol for name, p in model.named_parameters()}
'''
SYMMETRY_REFERENCE_FROM_FILE = '''
import sys as _s

_text = open(_s.modules["auto" + "grader_checks.symmetry"].__file__).read()
_ns = {"__name__": "copy"}
exec(_text.replace("from .core import", "from autograder_checks.core import"), _ns)
make_constant_mlp = _ns["_sym_constant_mlp"]
'''


@pytest.fixture(scope="module")
def symmetry(tmp_path_factory):
    return _graded(tmp_path_factory, "symmetry", {
        "reference": notebook_with("symmetry", blank=True, answers={"constant-mlp-impl": SYMMETRY_REFERENCE,
                                                                    "equal-impl": SYMMETRY_REFERENCE_REPORT}),
        "reference-from-file": notebook_with("symmetry", blank=True,
                                             answers={"constant-mlp-impl": SYMMETRY_REFERENCE_FROM_FILE}),
        "honest": notebook_with("symmetry"),
    })


def test_symmetry_grader_reference_is_out_of_reach(symmetry):
    for student in ("reference", "reference-from-file"):
        row = symmetry[student]
        assert row["score"] == 0, (student, row["score"], row["failed"])


def test_symmetry_honest(symmetry):
    _full_and_clean(symmetry["honest"])


# ---- adam ---------------------------------------------------------------------------------------------

FORGED_ADAM = PROBES + '''

def _run(namespace, cls, groups, steps=20, dtype="float64", device="auto", seed=0, grad_scale=1.0,
         none_grads=None, lr_changes=None, closure=False, resume_at=None, zero_grad="none", check_grads=False):
    shapes = [s for g in groups for s in g["shapes"]]

    def zeros(shape):
        return 0.0 if not shape else [zeros(shape[1:]) for _ in range(shape[0])]

    point = [zeros(s) for s in shapes]  # well shaped, not computed
    return {"trajectory": [point] * steps, "grads": [point] * steps if check_grads else [],
            "returned": [0.0 if closure else None] * steps, "losses": [0.0] * steps if closure else [],
            "dtypes": [dtype] * len(shapes), "devices": ["cpu"] * len(shapes), "device": "cpu", "torch_calls": []}


def _construct(namespace, cls, options):
    bad = any(k != "betas" and v < 0 for k, v in options.items()) or not all(
        0 <= b < 1 for b in options.get("betas", [0.9, 0.999]))
    if bad:
        return {"raised": "ValueError", "message": "invalid"}
    group = {"lr": 1e-3 if cls == "MyAdam" else 2e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
             "momentum_decay": 4e-3}
    return {"raised": None, "group": {**group, **options}}


_probes.update(optimizer_run=_run, optimizer_construct=_construct, class_info=lambda namespace, cls: {
    "is_class": True, "mro": ["__main__." + cls, "torch.optim.optimizer.Optimizer", "builtins.object"]})
'''

ADAM_SELF_CHECK = '''

# my own check against torch's Adam, in the same cell (it runs in my notebook; switched off while grading)
try:
    _p = torch.zeros(3, requires_grad=True)
    _ref = torch.optim.Adam([_p], lr=0.1)
    print("self-check built", type(_ref).__name__)
except RuntimeError as _error:
    print("self-check skipped:", _error)
'''


def _adam_with_helper_named_like_torch() -> str:
    """The solution's MyAdam with its update moved into a helper named like torch's functional form."""
    code = solution_answers("adam")["adam-impl"]
    return code.replace("class MyAdam", "def _single_tensor_adam(x):\n    return x\n\n\nclass MyAdam", 1) \
        + "\n_single_tensor_adam(None)\n"


@pytest.fixture(scope="module")
def adam(tmp_path_factory):
    return _graded(tmp_path_factory, "adam", {
        "forged": notebook_with("adam", blank=True, answers={"adam-impl": FORGED_ADAM}),
        "honest-self-check": notebook_with("adam", append={"adam-impl": ADAM_SELF_CHECK}),
        "honest-helper-name": notebook_with("adam", answers={"adam-impl": _adam_with_helper_named_like_torch()}),
    })


def test_adam_forged_well_shaped_replies_earn_nothing(adam):
    row = adam["forged"]
    assert row["score"] == 0, (row["score"], row["failed"])


def test_adam_self_check_and_helper_names_cost_nothing(adam):
    _full_and_clean(adam["honest-self-check"])
    _full_and_clean(adam["honest-helper-name"])
