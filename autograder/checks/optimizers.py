"""Checks that compare a student's `torch.optim.Optimizer` subclass with torch's, step by step.

A *case* is plain data: parameter groups (shapes + options), dtype, number of steps, and the
twists that expose state bugs (gradients set to None, lr changed mid-run, a closure, a
state_dict round trip, gradients zeroed in place instead of set to None, `p.grad` checked after
each step). The same case runs the student's class and torch's on the same parameters and the
same loss; every parameter is compared after every step.
"""

import math
from typing import Any, Optional

import numpy as np
import torch

from .core import (
    DTYPES,
    SWITCHED_OFF_MARK,
    TOLERANCES,
    TORCH_OPTIMIZER_KERNELS,
    TORCH_OPTIMIZERS,
    CheckFailure,
    IntegrityFlag,
    ProbeError,
    clip,
    compare,
    describe,
    differing,
    explain,
    fired,
    pick_device,
    probe,
    reference,
    student,
    subclass_in_source,
    to_data,
    tripwire_counts,
    written_in_source,
)

# torch's implementations a student's optimizer must not call (counted while grading).
OPTIMIZER_TRIPWIRES = [
    "torch.optim.Adam.step", "torch.optim.NAdam.step", "torch.optim.AdamW.step", "torch.optim.SGD.step",
    "torch.optim.adam.adam", "torch.optim.nadam.nadam", "torch.optim.sgd.sgd",
    "torch.optim.adam._single_tensor_adam", "torch.optim.adam._multi_tensor_adam",
    "torch.optim.nadam._single_tensor_nadam", "torch.optim.nadam._multi_tensor_nadam",
    "torch.optim.sgd._single_tensor_sgd", "torch.optim.sgd._multi_tensor_sgd",
    "torch._fused_adam_", "torch._fused_adamw_", "torch._fused_sgd_",
]


# torch's own optimizers, switched off inside the sandbox while grading (autograder/switch_off.py): a graded
# class cannot be built on them, whatever the submission does in its own process.
OPTIMIZER_SWITCHED_OFF = TORCH_OPTIMIZERS + TORCH_OPTIMIZER_KERNELS



def _make_params(groups: list, dtype: str, device: str, seed: int) -> tuple[list, list]:
    """Deterministic parameters and loss coefficients: identical in every process and on every device."""
    gen = torch.Generator().manual_seed(seed)
    params, coeffs = [], []
    for group in groups:
        for shape in group["shapes"]:
            init = torch.randn(shape, generator=gen, dtype=torch.float64)
            curv = 0.5 + 2.0 * torch.rand(shape, generator=gen, dtype=torch.float64)
            target = torch.randn(shape, generator=gen, dtype=torch.float64)
            params.append(init.to(device=device, dtype=DTYPES[dtype]).requires_grad_())
            coeffs.append((curv.to(device=device, dtype=DTYPES[dtype]), target.to(device=device, dtype=DTYPES[dtype])))
    return params, coeffs


def _loss(params: list, coeffs: list, scale: float) -> torch.Tensor:
    """A curved, non-quadratic loss: gradients change with the parameters, so errors compound."""
    total = 0
    for p, (curv, target) in zip(params, coeffs):
        total = total + (curv * (p - target) ** 2).sum() + 0.5 * torch.sin(3.0 * p).sum()
    return scale * total


@probe
def optimizer_run(namespace: dict, cls: str, groups: list, steps: int = 20, dtype: str = "float64",
                  device: str = "auto", seed: int = 0, grad_scale: float = 1.0,
                  none_grads: Optional[list] = None, lr_changes: Optional[dict] = None,
                  closure: bool = False, resume_at: Optional[int] = None, zero_grad: str = "none",
                  check_grads: bool = False) -> dict:
    """Run `namespace[cls]` on a deterministic problem and record every parameter after every step.

    zero_grad="inplace" clears gradients as `zero_grad(set_to_none=False)` does (the same tensor,
    zeroed, then accumulated into by backward), so state that aliases `p.grad` gets overwritten;
    check_grads=True also records every `p.grad` after each step (torch's optimizers never modify it).
    """
    if cls not in namespace:
        raise ProbeError("NameError", f"{cls} is not defined: run the cell that defines it first")
    Optimizer = namespace[cls]
    dev = pick_device(device)
    params, coeffs = _make_params(groups, dtype, str(dev), seed)
    param_groups, i = [], 0
    for group in groups:
        n = len(group["shapes"])
        param_groups.append({"params": params[i:i + n], **group.get("options", {})})
        i += n
    none_at = {(s, j) for s, j in (none_grads or [])}
    lr_changes = {int(k): v for k, v in (lr_changes or {}).items()}
    wires_before = tripwire_counts()

    def make() -> Any:
        if len(param_groups) == 1:
            return Optimizer(param_groups[0]["params"], **groups[0].get("options", {}))
        return Optimizer(param_groups)

    opt = make()
    trajectory, returned, losses, grads = [], [], [], []

    def compute_grads(step: int) -> torch.Tensor:
        for p in params:
            if zero_grad == "inplace" and p.grad is not None:
                p.grad.zero_()
            else:
                p.grad = None
        loss = _loss(params, coeffs, grad_scale)
        loss.backward()
        for j, p in enumerate(params):
            if (step, j) in none_at:
                p.grad = None
        return loss

    for step in range(1, steps + 1):
        if resume_at is not None and step == resume_at + 1:
            state = opt.state_dict()
            opt = make()
            opt.load_state_dict(state)
        for k, lr in lr_changes.items():
            if step == k:
                for group in opt.param_groups:
                    group["lr"] = lr
        if closure:
            seen = []

            def the_closure() -> torch.Tensor:
                loss = compute_grads(step)
                seen.append(float(loss.detach()))
                return loss

            out = opt.step(the_closure)
            losses.append(seen[-1] if seen else None)
        else:
            compute_grads(step)
            out = opt.step()
        returned.append(None if out is None else float(out.detach()) if isinstance(out, torch.Tensor)
                        else float(out) if isinstance(out, (float, int)) else clip(type(out)))
        trajectory.append([to_data(p) for p in params])
        if check_grads:
            grads.append([None if p.grad is None else to_data(p.grad) for p in params])
    return {
        "trajectory": trajectory,
        "grads": grads,
        "returned": returned,
        "losses": losses,
        "dtypes": [str(p.dtype).replace("torch.", "") for p in params],
        "devices": [p.device.type for p in params],
        "device": dev.type,
        "torch_calls": fired(wires_before, tripwire_counts()),
    }


@probe
def optimizer_construct(namespace: dict, cls: str, options: dict) -> dict:
    """Build `namespace[cls]` with `options` on one parameter: did it raise, and which defaults did it keep?"""
    if cls not in namespace:
        raise ProbeError("NameError", f"{cls} is not defined: run the cell that defines it first")
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    try:
        opt = namespace[cls]([torch.zeros(2, requires_grad=True)], **options)
    except Exception as error:
        return {"raised": clip(type(error).__name__), "message": clip(error, 2000)}
    group = opt.param_groups[0]
    return {"raised": None, "group": {clip(k, 100): _setting(v) for k, v in list(group.items())[:64] if k != "params"}}


def _setting(value: Any) -> Any:
    """A param group's value as data: a number, a bool, None, a short list of numbers (betas), else its repr."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and len(value) <= 16 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(()).to("cpu", torch.float64))
    return clip(repr(value))


# Where a correct float64 implementation's first step can differ from torch's by rounding alone: torch
# keeps NAdam's product of the μ's in float32 (~1e-8 relative), Adam's and SGD's arithmetic is exact.
_STEP1_NOISE = {"NAdam": 1e-6}
_DEFAULT_STEP1_NOISE = 1e-12


def _reference_namespace(cls: str, torch_name: str) -> dict:
    return {cls: getattr(torch.optim, torch_name)}


def _case_title(case: dict) -> str:
    groups = case["groups"]
    if len(groups) == 1:
        settings = describe(groups[0].get("options", {})) or "default settings"
    else:
        settings = "; ".join(f"group {i}: {describe(g.get('options', {})) or 'defaults'}" for i, g in enumerate(groups))
    extras = []
    if case.get("grad_scale", 1.0) != 1.0:
        extras.append(f"gradients scaled by {case['grad_scale']:g}")
    if case.get("none_grads"):
        extras.append("some gradients None")
    if case.get("lr_changes"):
        extras.append(f"lr changed at steps {sorted(map(int, case['lr_changes']))}")
    if case.get("closure"):
        extras.append("step(closure)")
    if case.get("resume_at"):
        extras.append(f"state_dict reloaded after step {case['resume_at']}")
    if case.get("zero_grad") == "inplace":
        extras.append("gradients zeroed in place, as zero_grad(set_to_none=False)")
    if case.get("check_grads"):
        extras.append("p.grad checked after each step")
    name = case.get("name", "case")
    extra = f" [{', '.join(extras)}]" if extras else ""
    return f"{name} ({settings}){extra}"


class _Case:
    """A case's parameters as the messages name them: index, group, shape."""

    def __init__(self, case: dict) -> None:
        self.case = case
        self.shapes = [tuple(s) for g in case["groups"] for s in g["shapes"]]
        self.group_of = [i for i, g in enumerate(case["groups"]) for _ in g["shapes"]]
        self.dtype = case.get("dtype", "float64")

    def label(self, j: int) -> str:
        group = f"group {self.group_of[j]}, " if len(self.case["groups"]) > 1 else ""
        return f"parameter {j} ({group}shape {self.shapes[j]})"

    def options(self, j: int) -> dict:
        return self.case["groups"][self.group_of[j]].get("options", {})

    def none_steps(self, j: int) -> list[int]:
        return sorted(s for s, i in self.case.get("none_grads") or [] if i == j)


def _reference_run(cls: str, torch_name: str, case: dict) -> dict:
    kwargs = {k: v for k, v in case.items() if k != "name"}
    return reference(f"torch.optim.{torch_name}", _reference_namespace(cls, torch_name), "optimizer_run",
                     cls=cls, **{**kwargs, "device": "cpu"})


def _student_run(cls: str, case: dict) -> dict:
    return student().probe("optimizer_run", cls=cls, **{k: v for k, v in case.items() if k != "name"})


def _first_difference(got: list, want: list, dtype: str) -> Optional[tuple[int, int]]:
    """(step, parameter) where the trajectories first differ beyond the tolerance: the earliest step, and
    there the parameter with the largest relative error."""
    rtol, atol = TOLERANCES[dtype]
    for step, (g_params, w_params) in enumerate(zip(got, want), start=1):
        worst = None
        for j, (g, w) in enumerate(zip(g_params, w_params)):
            g_arr, w_arr = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
            if g_arr.shape != w_arr.shape:
                return step, j
            bad = differing(g_arr, w_arr, rtol, atol)
            if bad.any():
                with np.errstate(invalid="ignore", divide="ignore"):
                    rel = np.nan_to_num(np.abs(g_arr - w_arr) / np.abs(w_arr), nan=np.inf, posinf=np.inf)
                score = float(np.max(np.where(bad, rel, 0.0)))
                if worst is None or score > worst[0]:
                    worst = (score, j)
        if worst is not None:
            return step, worst[1]
    return None


def _matches(got: dict, want: dict, dtype: str) -> bool:
    return _first_difference(got["trajectory"], want["trajectory"], dtype) is None


def check_optimizer(cls: str, torch_name: str, cases: list) -> None:
    """Run every case with the student's `cls` and with `torch.optim.<torch_name>`; compare every step.
    A failure names the first step and parameter that differ, and what the difference points to."""
    for case in cases:
        dtype = case.get("dtype", "float64")
        want = _reference_run(cls, torch_name, case)
        try:
            got = _student_run(cls, case)
        except ProbeError as error:
            raise CheckFailure(f"{cls}, {_case_title(case)} in {dtype}: your code raised {error.describe()}"
                               f"{_raised_hint(case, error)}")
        where = f"{cls}, {_case_title(case)} in {dtype} on {got['device']}"
        if got["dtypes"] != want["dtypes"]:
            raise CheckFailure(f"{where}: parameters changed dtype to {got['dtypes']} (should stay {want['dtypes']}).")
        if got["devices"] != [got["device"]] * len(got["devices"]):
            raise CheckFailure(f"{where}: parameters moved to {got['devices']} (should stay on {got['device']}).")
        info = _Case(case)
        first = _first_difference(got["trajectory"], want["trajectory"], dtype)
        if first is not None:
            step, j = first
            try:
                compare(got["trajectory"][step - 1][j], want["trajectory"][step - 1][j], dtype=dtype,
                        theirs=f"torch.optim.{torch_name}'s", what=info.label(j), context=f"{where}: after step {step}")
            except CheckFailure as failure:
                hints = diagnose_optimizer(cls, torch_name, case, got, want, step, j)
                raise CheckFailure(" ".join([str(failure), *hints]))
        if case.get("check_grads"):
            _compare_grads(got, info, case, where)
        for step, (g, w) in enumerate(zip(got["returned"], want["returned"]), start=1):
            if (g is None) != (w is None) or (g is not None and abs(g - w) > 1e-6 * (1 + abs(w))):
                expected = "None (no closure was given)" if w is None else f"the closure's loss {w:.6g}"
                raise CheckFailure(f"{where}: step {step} returned {g!r}; it should return {expected}.")


def _raised_hint(case: dict, error: ProbeError) -> str:
    """What the case did that may have made the code raise."""
    hints = []
    if case.get("closure"):
        hints.append("This case calls step(closure): step() runs under torch.no_grad(), so call the closure under "
                     "torch.enable_grad() (it runs backward), then return its loss.")
    if case.get("none_grads"):
        hints.append("This case sets some gradients to None: skip such a parameter (no state, no step), and create "
                     "a parameter's state at its own first step, whatever the other parameters did.")
    shapes = {tuple(s) for g in case["groups"] for s in g["shapes"]}
    if "must match the size" in error.message and len(shapes) > 1:
        hints.append("A tensor of another parameter's shape met this one: state shared between parameters (one "
                     "buffer for all)? Keep it per parameter, in self.state[p].")
    return (" " + " ".join(hints)) if hints else ""


def backward_grads(case: dict, trajectory: list) -> list:
    """What backward leaves in each p.grad at every step of a run that went along `trajectory`: the
    gradient of the case's loss at the parameters before that step (None where the case sets it to None).
    Computed here, from the run's own parameters, so it does not depend on the update being right."""
    dtype = case.get("dtype", "float64")
    params, coeffs = _make_params(case["groups"], dtype, "cpu", case.get("seed", 0))
    none_at = {(s, j) for s, j in case.get("none_grads") or []}
    out = []
    for step in range(1, len(trajectory) + 1):
        if step > 1:
            params = [torch.tensor(v, dtype=DTYPES[dtype]).requires_grad_() for v in trajectory[step - 2]]
        loss = _loss(params, coeffs, case.get("grad_scale", 1.0))
        grads = torch.autograd.grad(loss, params)
        out.append([None if (step, j) in none_at else to_data(g) for j, g in enumerate(grads)])
    return out


def _compare_grads(got: dict, info: _Case, case: dict, where: str) -> None:
    """`p.grad` after each step must be what backward left there: step() reads it, never writes it."""
    want = backward_grads(case, got["trajectory"])
    for step, (g_grads, w_grads) in enumerate(zip(got["grads"], want), start=1):
        for j, (g, w) in enumerate(zip(g_grads, w_grads)):
            what = f"{info.label(j)}'s .grad"
            if (g is None) != (w is None):
                raise CheckFailure(f"{where}: after step {step}, {what} is {'None' if g is None else 'set'}; "
                                   f"step() must leave .grad as backward left it.")
            if g is None:
                continue
            try:
                compare(g, w, dtype=info.dtype, theirs="backward's", what=what, context=f"{where}: after step {step}")
            except CheckFailure as failure:
                options = info.options(j)
                how = []
                if options.get("weight_decay"):
                    how.append("weight decay added into it (grad = p.grad; grad += wd * p, or grad.add_(p, ...))")
                if options.get("nesterov"):
                    how.append("Nesterov's g + μb computed into it (grad.add_(buf, ...))")
                if options.get("momentum"):
                    how.append("the momentum buffer being p.grad itself (updated in place)")
                examples = f" ({'; or '.join(how)})" if how else ""
                raise CheckFailure(f"{failure} Likely cause: step() changed p.grad in place{examples}. torch never "
                                   f"modifies p.grad: compute with new tensors (grad = p.grad.add(p, alpha=wd)) and "
                                   f"store copies in the state (buf = grad.clone()).")


def check_grads_untouched(cls: str, cases: list) -> None:
    """After every step, each p.grad must be exactly what backward left there (the gradient at the
    parameters before the step, computed by the grader from the run's own trajectory): a check of
    "step() never writes into p.grad" alone, whatever the update does."""
    for case in cases:
        case = {**case, "check_grads": True}
        dtype = case.get("dtype", "float64")
        try:
            got = _student_run(cls, case)
        except ProbeError as error:
            raise CheckFailure(f"{cls}, {_case_title(case)} in {dtype}: your code raised {error.describe()}"
                               f"{_raised_hint(case, error)}")
        _compare_grads(got, _Case(case), case, f"{cls}, {_case_title(case)} in {dtype} on {got['device']}")


# -- what a difference points to -----------------------------------------------------------------------

def _with_options(case: dict, change: dict, drop: tuple = ()) -> dict:
    """The case with `change` applied to (and the keys in `drop` removed from) every group's options."""
    groups = []
    for g in case["groups"]:
        options = {k: v for k, v in g.get("options", {}).items() if k not in drop}
        groups.append({**g, "options": {**options, **change}})
    return {**case, "groups": groups, "name": f"{case.get('name', 'case')} (variant)"}


def _alternative(label: str, torch_cls: Any, cls: str, case: dict) -> dict:
    """A torch optimizer other than the reference (AdamW...), run on the case as a probe of what the
    student's numbers resemble."""
    kwargs = {k: v for k, v in case.items() if k != "name"}
    return reference(label, {cls: torch_cls}, "optimizer_run", cls=cls, **{**kwargs, "device": "cpu"})


def _try_student(cls: str, case: dict) -> Optional[dict]:
    try:
        return _student_run(cls, case)
    except ProbeError:
        return None


def _step_ratio(case: dict, got: dict, want: dict, j: int) -> Optional[float]:
    """Your first step of parameter j divided by torch's, when that ratio is the same for every entry."""
    if (1, j) in {(s, i) for s, i in case.get("none_grads") or []}:
        return None
    params, _ = _make_params(case["groups"], case.get("dtype", "float64"), "cpu", case.get("seed", 0))
    start = params[j].detach().to(torch.float64).numpy().ravel()
    mine = np.asarray(got["trajectory"][0][j], dtype=np.float64).ravel() - start
    theirs = np.asarray(want["trajectory"][0][j], dtype=np.float64).ravel() - start
    if not np.all(np.abs(theirs) > 0) or not np.all(np.isfinite(mine)):
        return None
    ratios = mine / theirs
    ratio = float(np.median(ratios))
    if np.max(np.abs(ratios - ratio)) > 1e-6 * max(1.0, abs(ratio)):
        return None
    return ratio


def _step1_error(case: dict, got: dict, want: dict) -> float:
    """The largest relative error of the first step (the displacement θ1 − θ0) over all parameters."""
    params, _ = _make_params(case["groups"], case.get("dtype", "float64"), "cpu", case.get("seed", 0))
    worst = 0.0
    for j, p in enumerate(params):
        start = p.detach().to(torch.float64).numpy()
        mine = np.asarray(got["trajectory"][0][j], dtype=np.float64) - start
        theirs = np.asarray(want["trajectory"][0][j], dtype=np.float64) - start
        moved = np.abs(theirs) > 0
        if moved.any():
            worst = max(worst, float(np.max(np.abs(mine - theirs)[moved] / np.abs(theirs)[moved])))
    return worst


def _close_to(x: float, target: float, rel: float = 1e-3) -> bool:
    return abs(x - target) <= rel * abs(target)


def _effective_eps(case: dict, got: dict, want: dict, j: int) -> Optional[str]:
    """Which misplaced ε explains the first step of parameter j (Adam and NAdam: the first step is
    proportional to g / (|g| + ε), so yours / torch's = (|g| + ε) / (|g| + ε_yours))."""
    if case.get("dtype", "float64") != "float64" or (1, j) in {(s, i) for s, i in case.get("none_grads") or []}:
        return None
    options = _Case(case).options(j)
    eps, beta2 = options.get("eps", 1e-8), list(options.get("betas", (0.9, 0.999)))[1]
    if eps <= 0:
        return None
    params, coeffs = _make_params(case["groups"], "float64", "cpu", case.get("seed", 0))
    g = torch.autograd.grad(_loss(params, coeffs, case.get("grad_scale", 1.0)), params)[j].abs().numpy().ravel()
    start = params[j].detach().numpy().ravel()
    mine = np.asarray(got["trajectory"][0][j], dtype=np.float64).ravel() - start
    theirs = np.asarray(want["trajectory"][0][j], dtype=np.float64).ravel() - start
    if not np.all(np.abs(mine) > 0):
        return None
    yours = np.median((theirs / mine) * (g + eps) - g)
    guesses = {
        "ε added to √v before the bias correction ((√v + ε)/√(1 − β2ᵗ), or the Adam paper's step size "
        "γ·√(1 − β2ᵗ)/(1 − β1ᵗ) with m/(√v + ε)): that makes ε 1/√(1 − β2ᵗ) times larger":
            eps / math.sqrt(1 - beta2),
        "ε inside the square root, √(v̂ + ε)": np.median(np.sqrt(g**2 + eps) - g),
        "ε inside the square root and before the bias correction, √(v + ε)/√(1 − β2ᵗ)":
            np.median(np.sqrt(g**2 + eps / (1 - beta2)) - g),
    }
    for text, value in guesses.items():
        if _close_to(float(yours), float(value), 1e-2):
            return text
    if abs(yours) < 1e-3 * eps:
        return "ε not used at all"
    return None


def diagnose_optimizer(cls: str, torch_name: str, case: dict, got: dict, want: dict, step: int, j: int) -> list[str]:
    """Sentences saying what the first difference (at `step`, parameter `j`) points to: from what the case
    did just before that step, from runs of your class with one setting switched off (and of torch's
    alternatives, such as AdamW) on the same case, from which parameters are still right, and from the
    ratio of your first step to torch's."""
    info = _Case(case)
    noise = _STEP1_NOISE.get(torch_name, _DEFAULT_STEP1_NOISE)
    causes = _twist_causes(cls, torch_name, case, step, j)
    if not causes:
        causes = _ablations(cls, torch_name, case, got, want, j)
    if not causes:
        causes = _group_settings_causes(cls, torch_name, case, got)
    if not causes:
        causes = _default_causes(cls, torch_name, info.options(j))
    if not causes:
        causes = _shared_causes(info, torch_name, got, want, step, j)
    if not causes:
        ratio = _step_ratio(case, got, want, j)
        if ratio is not None and not _close_to(ratio, 1.0, noise):
            causes = _ratio_causes(torch_name, case, info.options(j), ratio)
    notes = []
    if step > 1:
        step1 = _step1_error(case, got, want)
        if step1 > noise:
            notes.append(f"Your first step already differed from torch's (relative error {step1:.2g}, under the "
                         f"tolerance), so the difference is in every update, not only in what carries over "
                         f"between steps.")
        elif not causes:
            notes.append("Your first step matches torch's to rounding; the difference starts later, so it is in what "
                         "carries over from one step to the next: the state (moments, the step count t, the momentum "
                         "buffer, NAdam's running product of the μ's) or a setting changed between steps.")
    elif not causes:
        notes.append("The very first step differs: look at the formula of one update (the bias correction, ε, lr, "
                     "the weight decay term).")
    if not causes:
        return notes
    if len(causes) == 1:
        return [f"Likely cause: {causes[0]}.", *notes]
    return ["Likely causes: " + "; ".join(f"({k}) {c}" for k, c in enumerate(causes, 1)) + ".", *notes]


def _twist_causes(cls: str, torch_name: str, case: dict, step: int, j: int) -> list[str]:
    """What the case did just before the differing step: an lr change, a state_dict round trip, a
    parameter that had no gradient, gradients zeroed in place."""
    info, causes = _Case(case), []
    changes = sorted(int(k) for k in case.get("lr_changes") or {})
    if step in changes:
        causes.append(f"the case set group['lr'] to a new value just before step {step}, and this is where yours "
                      f"parts from torch's: read the hyper-parameters from each group at every step (not a value "
                      f"saved in __init__ such as self.lr, nor self.defaults), and keep lr out of the state (a "
                      f"velocity with lr folded in goes wrong when lr changes)")
    if case.get("resume_at") is not None and step == case["resume_at"] + 1:
        causes.append(f"the optimizer was rebuilt from state_dict() just before step {step}: keep everything a "
                      f"parameter needs (moments, buffers, step counts) in self.state[p], which state_dict() "
                      f"saves and load_state_dict() restores")
    skipped = [s for s in info.none_steps(j) if s < step]
    if skipped:
        twins = [i for i, shape in enumerate(info.shapes) if shape == info.shapes[j] and i != j]
        shared = (f" (or it shares state with {info.label(twins[0])}, of the same shape: state keyed by shape)"
                  if twins else "")
        causes.append(f"{info.label(j)} had no gradient at step(s) {skipped}: torch skips such a parameter "
                      f"entirely (no state change, no step count), so its steps are counted per parameter, "
                      f"in self.state[p]{shared}")
    if case.get("zero_grad") == "inplace":
        plain = {**case, "zero_grad": "none"}
        mine = _try_student(cls, plain)
        if mine is not None and _matches(mine, _reference_run(cls, torch_name, plain), info.dtype):
            causes.append("with gradients set to None instead of zeroed in place yours matches torch's: your state "
                          "holds p.grad itself, which backward overwrites in place; store a copy (buf = grad.clone())")
    return causes


def _exact(got: list, want: list, i: int, upto: int, noise: float) -> bool:
    """Parameter i agrees with torch's to rounding at every step up to `upto` (not merely within the tolerance)."""
    for g_params, w_params in zip(got[:upto], want[:upto]):
        g, w = np.asarray(g_params[i], dtype=np.float64), np.asarray(w_params[i], dtype=np.float64)
        if g.shape != w.shape or not np.all(np.abs(g - w) <= noise * (1 + np.abs(w))):
            return False
    return True


def _shared_causes(info: _Case, torch_name: str, got: dict, want: dict, step: int, j: int) -> list[str]:
    """Another parameter with the same settings is exactly right up to this step and parameter j is not."""
    noise = 10 * _STEP1_NOISE.get(torch_name, _DEFAULT_STEP1_NOISE)
    right = [i for i in range(len(info.shapes)) if _exact(got["trajectory"], want["trajectory"], i, step, noise)]
    if len(info.case["groups"]) > 1 and info.group_of[j] > 0 and all(
            i in right for i, grp in enumerate(info.group_of) if grp == 0):
        return [f"group 0 is right, group {info.group_of[j]} is not: each group has its own settings; read them "
                f"from the group being updated (group['lr'], ...), not from self.defaults or values saved in __init__"]
    same_group = [i for i in right if info.group_of[i] == info.group_of[j] and i != j]
    if not same_group:
        return []
    twins = [i for i in same_group if info.shapes[i] == info.shapes[j]]
    other = twins[0] if twins else same_group[0]
    how = ("one buffer for all, or state keyed by the shape" if twins else
           "a value kept once for the whole optimizer, such as one step count or one running product")
    return [f"{info.label(other)} (same settings) is right and {info.label(j)} is not: state shared between "
            f"parameters ({how}); keep it per parameter, in self.state[p]"]


def _group_settings_causes(cls: str, torch_name: str, case: dict, got: dict) -> list[str]:
    """With several groups: yours matches torch's with every group at the constructor's defaults, or at
    group 0's settings."""
    if len(case["groups"]) < 2:
        return []
    dtype = case.get("dtype", "float64")
    defaults = {**case, "groups": [{**g, "options": {}} for g in case["groups"]]}
    if _matches(got, _reference_run(cls, torch_name, defaults), dtype):
        return ["yours matches torch's with every group at the constructor's defaults: your step reads "
                "self.defaults (or values saved in __init__) instead of each group's own settings (group['lr'], ...)"]
    first = case["groups"][0].get("options", {})
    same = {**case, "groups": [{**g, "options": dict(first)} for g in case["groups"]]}
    if _matches(got, _reference_run(cls, torch_name, same), dtype):
        return ["yours matches torch's with group 0's settings in every group: read the settings of the group "
                "being updated, in the loop over self.param_groups"]
    return []


def _torch_defaults(torch_name: str) -> dict:
    """The defaults of torch's optimizer's constructor that a case may leave out (lr, betas, eps, ...)."""
    import inspect

    signature = inspect.signature(getattr(torch.optim, torch_name).__init__)
    wanted = ("lr", "betas", "eps", "weight_decay", "momentum", "dampening", "nesterov", "momentum_decay")
    return {k: p.default for k, p in signature.parameters.items() if k in wanted}


def _default_causes(cls: str, torch_name: str, options: dict) -> list[str]:
    """Settings the case left at their defaults where your class's defaults are not torch's."""
    theirs = {k: v for k, v in _torch_defaults(torch_name).items() if k not in options}
    if not theirs:
        return []
    try:
        built = student().probe("optimizer_construct", cls=cls, options={})
    except ProbeError:
        return []
    if built.get("raised") is not None:
        return []
    mine, wrong = built.get("group", {}), []
    for key, value in theirs.items():
        if key in mine and to_data(mine[key]) != to_data(value):
            wrong.append(f"{key}={tuple(mine[key]) if isinstance(mine[key], list) else mine[key]!r} where torch's "
                         f"is {value!r}")
    return [f"the case leaves some settings at their defaults, and your defaults differ: {', '.join(wrong)}"] \
        if wrong else []


def _ratio_causes(torch_name: str, case: dict, options: dict, ratio: float) -> list[str]:
    """What a first step `ratio` times torch's says (with eps small next to the gradients)."""
    beta1, beta2 = list(options.get("betas", (0.9, 0.999)))
    default_lr = _torch_defaults(torch_name).get("lr", 1e-3)
    lr = options.get("lr", default_lr)
    known = {}
    if torch_name in ("Adam", "NAdam"):
        known[1 / math.sqrt(1 - beta2)] = "v is not bias-corrected: torch divides by √v̂ with v̂ = v/(1 − β2ᵗ)"
    if torch_name == "Adam":
        known[(1 - beta1) / math.sqrt(1 - beta2)] = ("no bias correction: torch uses m̂ = m/(1 − β1ᵗ) and "
                                                     "v̂ = v/(1 − β2ᵗ), not m and v")
        known[1 - beta1] = "m is not bias-corrected: torch uses m̂ = m/(1 − β1ᵗ)"
    known[-1.0] = "the step has the wrong sign: θ must move against the gradient (θ ← θ − γ·…)"
    known[2.0] = "the learning rate (or the step) is applied twice"
    other_lrs = {default_lr: "the constructor's default lr"}
    for i, g in enumerate(case["groups"]):
        other_lrs.setdefault(g.get("options", {}).get("lr", default_lr), f"group {i}'s lr")
    for value, whose in other_lrs.items():
        if value != lr and lr:
            known.setdefault(value / lr, f"your step seems to use lr={value:g} ({whose}) instead of this group's "
                                         f"lr={lr:g}: read group['lr'] of the group being updated, at every step")
    for value, text in known.items():
        if _close_to(ratio, value, 1e-6):
            return [f"your first step is {ratio:.6g} times torch's: {text}"]
    if 1e-9 < abs(ratio - 1) < 1e-5 and torch_name != "NAdam":
        return [f"your first step is {ratio:.10g} times torch's, a difference of float32's size: part of your "
                f"computation seems to run in float32 (state created with torch.zeros(p.shape) instead of "
                f"torch.zeros_like(p), which keeps the parameter's dtype)"]
    return [f"your first step is {ratio:.6g} times torch's (the same factor for every entry)"]


def _ablations(cls: str, torch_name: str, case: dict, got: dict, want: dict, j: int) -> list[str]:
    """Switch off one setting at a time (in every group); when yours then matches torch's, that setting is
    where the difference is, and torch's alternatives (AdamW, NAdam's decoupled decay, the heavy ball for
    Nesterov) may say how."""
    dtype = case.get("dtype", "float64")
    groups = [g.get("options", {}) for g in case["groups"]]

    def settled_without(change: dict, drop: tuple = ()) -> bool:
        variant = _with_options(case, change, drop)
        mine = _try_student(cls, variant)
        return mine is not None and _matches(mine, _reference_run(cls, torch_name, variant), dtype)

    if any(o.get("weight_decay") for o in groups) and settled_without({"weight_decay": 0.0}):
        if _matches(got, _reference_run(cls, torch_name, _with_options(case, {"weight_decay": 0.0})), dtype):
            return ["weight_decay has no effect in your step: torch adds λθ to the gradient (g ← g + λθ)"]
        alternative = {"Adam": ("torch.optim.AdamW", torch.optim.AdamW, {}),
                       "NAdam": ("torch.optim.NAdam(decoupled_weight_decay=True)", torch.optim.NAdam,
                                 {"decoupled_weight_decay": True})}.get(torch_name)
        if alternative is not None:
            label, klass, extra = alternative
            filled = _with_options(case, extra)
            for g, o in zip(filled["groups"], groups):
                g["options"].setdefault("weight_decay", o.get("weight_decay", 0.0))
            if _matches(got, _alternative(label, klass, cls, {**filled, "name": case.get("name")}), dtype):
                return [f"decoupled weight decay: yours matches {label}, which shrinks θ ← θ(1 − γλ) apart from the "
                        f"gradient; torch.optim.{torch_name} adds λθ to the gradient before the moments "
                        f"(g ← g + λθ, L2 regularisation)"]
        if torch_name == "SGD" and any(o.get("momentum") for o in groups) and settled_without(
                {"momentum": 0.0, "nesterov": False, "dampening": 0.0}):
            return ["weight decay is right without momentum but not with it: torch adds λθ to the gradient first "
                    "(g ← g + λθ), and the buffer and Nesterov's g + μb both use that g; yours keeps it out of "
                    "the momentum (decoupled decay θ ← θ(1 − γλ) as AdamW does, decay added after the momentum, "
                    "or Nesterov's look-ahead with the raw p.grad)"]
        return ["the difference is in the weight decay (with weight_decay=0 yours matches torch's): torch adds "
                "λθ to the gradient before anything else, g ← g + λθ"]
    if torch_name in ("Adam", "NAdam") and any(o.get("eps", 1e-8) for o in groups) and settled_without(
            {"eps": 0.0}):
        how = _effective_eps(case, got, want, j)
        found = f"; the numbers of your first step fit {how}" if how else ""
        return [f"where ε enters the update (with eps=0 yours matches torch's): torch divides by √v̂ + ε, ε outside "
                f"the square root and after the bias correction (v̂ = v/(1 − β2ᵗ)){found}"]
    if torch_name == "SGD" and any(o.get("dampening") for o in groups) and settled_without({"dampening": 0.0}):
        options = _Case(case).options(j)
        ratio = _step_ratio(case, got, want, j)
        if not options.get("momentum"):
            return ["dampening without momentum: torch keeps no buffer when momentum is 0 and ignores dampening "
                    "(the step is γ·g)"]
        if ratio is not None and _close_to(ratio, 1 - options["dampening"], 1e-6):
            return ["the first step is damped: at a parameter's first step torch sets the buffer to the gradient "
                    "itself (b ← g, no dampening, not zeros updated with (1 − τ)g); dampening applies from "
                    "the second step on"]
        return ["the dampening (with dampening=0 yours matches torch's): b ← μb + (1 − τ)g from the second step "
                "on, b ← g at the first"]
    if torch_name == "SGD" and any(o.get("nesterov") for o in groups) and settled_without({"nesterov": False}):
        heavy = _reference_run(cls, torch_name, _with_options(case, {"nesterov": False}))
        if _matches(got, heavy, dtype):
            return ["your Nesterov option steps like the heavy ball (along the buffer b); Nesterov steps along "
                    "g + μb, with the buffer updated first"]
        return ["the Nesterov update (with nesterov=False yours matches torch's): d = g + μb, with b updated first"]
    if torch_name == "NAdam" and settled_without({"momentum_decay": 0.0}):
        return ["the momentum schedule (with momentum_decay=0, where μ_t = β1/2 at every step, yours matches "
                "torch's): μ_t = β1(1 − ½·0.96^(tψ)) and μ_{t+1} at each parameter's step t, P the running "
                "product μ_1⋯μ_t"]
    return []


def check_runs(cls: str, torch_name: str, case: dict) -> None:
    """`cls` steps as torch.optim.<torch_name> does on a short, plain `case` (numbers the grader checks). The
    tests of the constructor alone start with it: its defaults and ValueErrors are only what the sandbox
    says, so they pay only for a class that really steps (keep `case` plain and every setting explicit: ε = 0,
    no weight decay, no momentum schedule, so that a bug elsewhere, or in a default, costs only its own test)."""
    try:
        check_optimizer(cls, torch_name, [case])
    except CheckFailure as failure:
        raise CheckFailure(f"{failure} ({cls}'s defaults and argument checks are graded once its plain steps "
                           f"match torch.optim.{torch_name}'s.)")


def check_rejects(cls: str, invalid: list, valid: list) -> None:
    """Every option set in `invalid` must raise ValueError at construction; every one in `valid` must not."""
    for options in invalid:
        try:
            got = student().probe("optimizer_construct", cls=cls, options=options)
        except ProbeError as error:
            raise CheckFailure(f"{cls}({describe(options)}): {error.describe()}")
        if got["raised"] != "ValueError":
            did = "accepted it" if got["raised"] is None else f"raised {explain(got['raised'], got['message'])}"
            raise CheckFailure(f"{cls}({describe(options)}) should raise ValueError (an invalid setting), but {did}.")
    for options in valid:
        got = student().probe("optimizer_construct", cls=cls, options=options)
        if got["raised"] is not None:
            raised = explain(got["raised"], got["message"])
            raise CheckFailure(f"{cls}({describe(options)}) is valid but raised {raised}")


def check_defaults(cls: str, defaults: dict) -> None:
    """Constructed with parameters only, the first param group must hold these defaults."""
    got = student().probe("optimizer_construct", cls=cls, options={})
    if got["raised"] is not None:
        raise CheckFailure(f"{cls}(params) raised {explain(got['raised'], got['message'])}")
    group = got["group"]
    for key, value in defaults.items():
        if key not in group:
            raise CheckFailure(f"{cls}(params).param_groups[0] has no '{key}': pass every hyper-parameter to "
                               f"Optimizer.__init__ in the defaults dict.")
        compare(group[key], value, what=f"default {key}", context=f"{cls}(params)", rtol=0, atol=0)


def check_own_implementation(cls: str, base: str, case: dict) -> None:
    """`cls` is your own work: a class statement in your answers subclassing torch.optim.Optimizer, with a
    step() of its own (read from the source, never from the sandbox's word), that runs on `case` while every
    optimizer of torch is switched off (behaviour: calling one is flagged). No name in the source is judged:
    a self-check against torch's class, or a helper named like torch's function, costs nothing. Whether its
    numbers are right is for the other tests."""
    try:
        _student_run(cls, case)
    except ProbeError as error:
        if SWITCHED_OFF_MARK in error.message:
            raise IntegrityFlag(f"uses-torch-{base.lower()}", f"{cls} is built on torch's own {base} "
                                                              f"({error.describe()}): write the update yourself.")
        raise CheckFailure(f"{cls} does not run yet ({error.describe()}): nothing to check.")
    sources = student().sources(cls)
    problem = subclass_in_source(sources, cls, ["Optimizer"]) or written_in_source(sources, cls, ["step"])
    if problem:
        raise CheckFailure(f"{problem}: write class {cls}(torch.optim.Optimizer) with your own step().")
