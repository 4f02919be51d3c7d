"""Checks for the gradient-descent chapter: one step, a trajectory, a hand-written gradient, many
trajectories at once, and which minimum each run reached.

References are torch's own: `torch.optim.SGD` (no momentum: plain gradient descent) for steps and
trajectories, autograd for the gradient. Trajectories of many points are checked against one
reference run per point; that they are computed *at once* is checked by counting the torch
operations (and the calls of `f`) for few and for many points: a vectorised implementation runs the
same operations whatever the number of points, a Python loop over the points does not. Which
minimum a point reached is checked on points built around known minima, so the expected answer is
known by construction.
"""

import math
from typing import Any, Callable, Optional

import torch
from torch.overrides import TorchFunctionMode

from .core import (
    DTYPES,
    SWITCHED_OFF_MARK,
    TORCH_OPTIMIZER_KERNELS,
    TORCH_OPTIMIZERS,
    CheckFailure,
    IntegrityFlag,
    ProbeError,
    clip,
    compare,
    fired,
    format_pair,
    pick_device,
    probe,
    reference,
    student,
    student_limit,
    to_data,
    tripwire_counts,
    uses_in_source,
    written_in_source,
)

# torch's optimizers (SGD and every other: each is gradient descent under some setting), switched off
# inside the sandbox while grading (autograder/switch_off.py).
DESCENT_SWITCHED_OFF = TORCH_OPTIMIZERS + TORCH_OPTIMIZER_KERNELS


# ---- test functions of points: a tensor (..., 2) in, a tensor (...) out ------------------------
def _sin_cos(x: torch.Tensor) -> torch.Tensor:
    a, b = x[..., 0], x[..., 1]
    return torch.sin(a) * torch.cos(b) + torch.sin(0.5 * a) * torch.cos(0.5 * b)


def _bowl(x: torch.Tensor) -> torch.Tensor:
    """A tilted quadratic bowl (Hessian [[3, 0.8], [0.8, 1]]), minimum at (1, -2)."""
    a, b = x[..., 0] - 1.0, x[..., 1] + 2.0
    return 1.5 * a**2 + 0.5 * b**2 + 0.8 * a * b


def _valley(x: torch.Tensor) -> torch.Tensor:
    """A mild Rosenbrock valley, minimum at (1, 1)."""
    a, b = x[..., 0], x[..., 1]
    return (1 - a) ** 2 + 4 * (b - a**2) ** 2


def _ripples(x: torch.Tensor) -> torch.Tensor:
    """A shallow bowl with ripples: the gradient is not symmetric in the two coordinates."""
    a, b = x[..., 0], x[..., 1]
    return 0.1 * (a**2 + 2 * b**2) + torch.sin(2 * a) * torch.cos(b) + 0.3 * torch.cos(3 * b)


def _himmelblau(x: torch.Tensor) -> torch.Tensor:
    a, b = x[..., 0], x[..., 1]
    return ((a**2 + b - 11) ** 2 + (a + b**2 - 7) ** 2) / 50


LANDSCAPES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin_cos": _sin_cos, "bowl": _bowl, "valley": _valley, "ripples": _ripples, "himmelblau": _himmelblau,
}


def _student_function(namespace: dict, name: str) -> Callable[..., Any]:
    if name not in namespace:
        raise ProbeError("NameError", f"{name} is not defined: run the cell that defines it first")
    return namespace[name]


def _tensor_info(value: Any, expected: int) -> dict:
    """What a returned value is, as data: a tensor's values (up to student_limit(expected) of them: a tensor
    far too big is known by its shape), dtype, shape, device and graph status."""
    if not isinstance(value, torch.Tensor):
        return {"tensor": False, "type": clip(type(value).__name__)}
    values = to_data(value) if value.numel() <= student_limit(expected) else None
    return {"tensor": True, "values": values, "dtype": clip(str(value.dtype).replace("torch.", "")),
            "shape": list(value.shape), "device": clip(value.device.type), "requires_grad": bool(value.requires_grad)}


def _sized(value: torch.Tensor, expected: int) -> Any:
    """A tensor the student's code may have resized, as data (None when far too big)."""
    return to_data(value) if value.numel() <= student_limit(expected) else None


# ---- references: torch's own gradient descent -----------------------------------------------------
def _sgd_step(param: torch.Tensor, lr: float) -> None:
    torch.optim.SGD([param], lr=lr).step()


def _sgd_path(f: Callable, start: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    point = start.detach().to(torch.float64).clone().requires_grad_(True)
    opt = torch.optim.SGD([point], lr=lr)
    rows = [point.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        f(point).backward()
        opt.step()
        rows.append(point.detach().clone())
    return torch.stack(rows)


def _sgd_paths(f: Callable, starts: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    """One reference run per point (the per-point runs the vectorised version must reproduce)."""
    return torch.stack([_sgd_path(f, s, lr, steps) for s in starts], dim=1)


def _autograd_gradient(x: torch.Tensor) -> torch.Tensor:
    point = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(_sin_cos(point).sum(), point)
    return grad


# Reference-side code (torch's SGD, autograd's gradient), stubbed in the sandbox's copy of this module.
DESCENT_REFERENCE_ONLY = ["_sgd_step", "_sgd_path", "_sgd_paths", "_autograd_gradient"]


# ---- probes -------------------------------------------------------------------------------------
@probe
def gd_step_run(namespace: dict, shape: list, lr: float, calls: int = 1, dtype: str = "float64",
                seed: int = 0, device: str = "auto") -> dict:
    """Call gradient_descent_step(param, lr) `calls` times, each with a fresh gradient in param.grad."""
    step = _student_function(namespace, "gradient_descent_step")
    dev = pick_device(device)
    gen = torch.Generator().manual_seed(seed)
    init = torch.randn(shape, generator=gen, dtype=torch.float64)
    grads = [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(calls)]
    param = init.to(device=dev, dtype=DTYPES[dtype]).requires_grad_(True)
    out: dict[str, Any] = {"init": to_data(param), "grads": [], "values": [], "grads_after": [], "leaf": [],
                           "requires_grad": [], "dtypes": [], "devices": [], "device": dev.type}
    wires = tripwire_counts()
    for g in grads:
        grad = g.to(device=dev, dtype=DTYPES[dtype])
        param.grad = grad.clone()
        out["grads"].append(to_data(grad))
        step(param, lr)
        out["values"].append(_sized(param, init.numel()))
        out["grads_after"].append(None if param.grad is None else _sized(param.grad, init.numel()))
        out["leaf"].append(bool(param.is_leaf))
        out["requires_grad"].append(bool(param.requires_grad))
        out["dtypes"].append(clip(str(param.dtype).replace("torch.", "")))
        out["devices"].append(clip(param.device.type))
    out["torch_calls"] = fired(wires, tripwire_counts())
    return out


@probe
def gd_path_run(namespace: dict, function: str, start: list, lr: float, steps: int, start_dtype: str = "float64",
                start_requires_grad: bool = False, device: str = "auto") -> dict:
    """gradient_descent(f, start, lr, steps) with a test function; the result and what became of start."""
    descend = _student_function(namespace, "gradient_descent")
    dev = pick_device(device)
    begin = torch.tensor(start, dtype=DTYPES[start_dtype], device=dev)
    if start_requires_grad:
        begin.requires_grad_(True)
    before = begin.detach().clone()
    wires = tripwire_counts()
    result = descend(LANDSCAPES[function], begin, lr, steps)
    return {"result": _tensor_info(result, (steps + 1) * 2), "device": dev.type, "start": to_data(before),
            "start_changed": not torch.equal(begin.detach(), before),
            "start_requires_grad": bool(begin.requires_grad), "start_grad": begin.grad is not None,
            "torch_calls": fired(wires, tripwire_counts())}


def _starts(n: int, seed: int, low: float, high: float) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return low + (high - low) * torch.rand(n, 2, generator=gen, dtype=torch.float64)


def _whole(x: Any, n: int) -> bool:
    """x holds all n points: an (n, 2) tensor (any leading 1s), or, under torch.func's vmap, a batched
    tensor whose batch is all n of them."""
    if not isinstance(x, torch.Tensor):
        return False
    if x.numel() == 2 * n and x.dim() >= 2 and x.shape[-2] == n:
        return True
    from torch._C import _functorch as ft

    for _ in range(8):  # through torch.func's wrappers (grad, jacrev...) down to vmap's batch
        if not ft.is_functorch_wrapped_tensor(x):
            return False
        if ft.is_batchedtensor(x):
            whole = ft.get_unwrapped(x)
            return whole.numel() == 2 * n and whole.shape[ft.maybe_get_bdim(x)] == n
        x = ft.get_unwrapped(x)
    return False


def _whole_batch_only(f: Callable, n: int, partial: list) -> Callable:
    """f as it is on all n points at once, NaN on anything less: code that loops over the points (or
    over slices of them) gets trajectories of NaN, which the grader sees in the numbers it compares."""
    def on_the_batch(x: torch.Tensor) -> torch.Tensor:
        value = f(x)
        if _whole(x, n):
            return value
        if len(partial) < 5:
            partial.append([int(d) for d in x.shape][:8] if isinstance(x, torch.Tensor) else [])
        return value * float("nan")
    return on_the_batch


@probe
def gd_many_run(namespace: dict, function: str, n: int, lr: float, steps: int, seed: int = 0,
                low: float = 0.0, high: float = 10.0, start_dtype: str = "float64",
                start_requires_grad: bool = False, whole_batch: bool = False, device: str = "auto") -> dict:
    """gradient_descent_many(f, starts, lr, steps) on n deterministic random starts (whole_batch: with an f
    that is right only when called on all the points at once)."""
    descend = _student_function(namespace, "gradient_descent_many")
    dev = pick_device(device)
    starts = _starts(n, seed, low, high).to(device=dev, dtype=DTYPES[start_dtype])
    if start_requires_grad:
        starts.requires_grad_(True)
    before = starts.detach().clone()
    wires = tripwire_counts()
    partial: list = []
    calls = [0]
    counter = _CountOps()
    if whole_batch:
        only = _whole_batch_only(LANDSCAPES[function], n, partial)

        def f(x: torch.Tensor) -> torch.Tensor:
            calls[0] += 1
            return only(x)

        with counter:
            result = descend(f, starts, lr, steps)
    else:
        result = descend(LANDSCAPES[function], starts, lr, steps)
    return {"result": _tensor_info(result, (steps + 1) * n * 2), "device": dev.type, "starts": to_data(before),
            "start_changed": not torch.equal(starts.detach(), before),
            "start_requires_grad": bool(starts.requires_grad), "start_grad": starts.grad is not None,
            "torch_calls": fired(wires, tripwire_counts()), "partial_calls": partial, "f_calls": calls[0],
            "ops": counter.count}


class _CountOps(TorchFunctionMode):
    """Counts the torch functions and tensor methods the code under it calls itself (what torch calls inside
    them is not counted), and notes whether it calls autograd. What the sandbox reports of these can only
    take points away: the points rest on numbers the grader checks, or on the parsed source."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.autograd = False

    def __torch_function__(self, func: Any, types: Any, args: tuple = (), kwargs: Optional[dict] = None) -> Any:
        self.count += 1
        if func in (torch.autograd.grad, torch.autograd.backward, torch.Tensor.backward):
            self.autograd = True
        return func(*args, **(kwargs or {}))


@probe
def gd_hand_gradient(namespace: dict, shape: list, dtype: str = "float64", seed: int = 0, scale: float = 10.0,
                     device: str = "auto", watch_autograd: bool = False) -> dict:
    """grad_sin_cos(x) at random points of [-scale, scale]^2 (x of the given shape, last dim 2)."""
    gradient = _student_function(namespace, "grad_sin_cos")
    dev = pick_device(device)
    gen = torch.Generator().manual_seed(seed)
    x = ((2 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1) * scale).to(device=dev, dtype=DTYPES[dtype])
    before = x.clone()
    counter = _CountOps()
    if watch_autograd:
        with counter:
            result = gradient(x)
    else:
        result = gradient(x)
    return {"x": to_data(before), "result": _tensor_info(result, x.numel()),
            "input_changed": not torch.equal(x, before),
            "autograd": counter.autograd}


@probe
def gd_reached(namespace: dict, endpoints: list, minima: list, radius: float, device: str = "auto") -> dict:
    """reached_minima(endpoints, minima, radius) on given points."""
    reached = _student_function(namespace, "reached_minima")
    dev = pick_device(device)
    points = torch.tensor(endpoints, dtype=torch.float64, device=dev).reshape(-1, 2)
    centres = torch.tensor(minima, dtype=torch.float64, device=dev).reshape(-1, 2)
    p0, c0 = points.clone(), centres.clone()
    result = reached(points, centres, radius)
    info = _tensor_info(result, len(points))
    if info["tensor"]:
        info["integer"] = not (result.is_floating_point() or result.is_complex() or result.dtype == torch.bool)
    unchanged = torch.equal(points.nan_to_num(1e300), p0.nan_to_num(1e300)) and torch.equal(centres, c0)
    return {"result": info, "inputs_changed": not unchanged}


# ---- helpers of the checks ----------------------------------------------------------------------
def _raised(error: ProbeError, what: str) -> CheckFailure:
    return CheckFailure(f"{what}: your code raised {error.describe()}")


def _num(x: float) -> str:
    return f"{x:.6g}"


def _point(p: list) -> str:
    return "(" + ", ".join(_num(v) for v in p) + ")"


def _require_tensor(info: dict, where: str, name: str) -> None:
    if not info["tensor"]:
        raise CheckFailure(f"{where}: {name} returned a {info['type']}, not a torch.Tensor.")
    if info["values"] is None:  # more entries than the probe sends (core.student_limit)
        raise CheckFailure(f"{where}: {name} returned a tensor of shape {tuple(info['shape'])}, far more entries "
                           f"than expected.")


def _close(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    try:
        ta, tb = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    except (TypeError, ValueError):
        return False
    return ta.shape == tb.shape and bool(torch.allclose(ta, tb, rtol=rtol, atol=atol, equal_nan=True))


# ---- gradient_descent_step ----------------------------------------------------------------------
def _step_title(case: dict) -> str:
    shape = tuple(case["shape"])
    return (f"{case.get('name', 'case')}: gradient_descent_step(param, lr={case['lr']!r}) on a {shape} "
            f"{case.get('dtype', 'float64')} parameter, {case.get('calls', 1)} call(s)")


def _run_step(case: dict) -> tuple[dict, dict, str]:
    kwargs = {k: v for k, v in case.items() if k != "name"}
    want = reference("torch.optim.SGD", {"gradient_descent_step": _sgd_step}, "gd_step_run",
                     **{**kwargs, "device": "cpu"})
    try:
        got = student().probe("gd_step_run", **kwargs)
    except ProbeError as error:
        raise _raised(error, _step_title(case))
    return got, want, f"{_step_title(case)} on {got['device']}"


def _step_hint(before: list, grad: list, lr: float, got: list) -> str:
    """Name the usual mistakes when the caller's parameter is not θ − lr·g."""
    b, g, y = (torch.tensor(v, dtype=torch.float64) for v in (before, grad, got))
    if torch.allclose(y, b, rtol=1e-6, atol=1e-9):
        return (" The parameter did not change: update the tensor you were given in place "
                "(`param -= lr * param.grad` under `torch.no_grad()`); assigning `param = ...` makes a new tensor "
                "that the caller never sees.")
    candidates = {"θ + lr·g (uphill: descent subtracts the gradient)": b + lr * g,
                  "θ − lr²·g (lr applied twice)": b - lr * lr * g,
                  "θ − g (lr not applied)": b - g}
    for name, value in candidates.items():
        if torch.allclose(y, value, rtol=1e-5, atol=1e-7):
            return f" Your values are {name}."
    return ""


def check_descent_step(cases: list) -> None:
    """After every call the caller's parameter must hold θ − lr·g, like torch.optim.SGD's step."""
    for case in cases:
        got, want, where = _run_step(case)
        dtype = case.get("dtype", "float64")
        before = want["init"]
        for i, (g, w) in enumerate(zip(got["values"], want["values"]), start=1):
            try:
                compare(g, w, dtype=dtype, what="the parameter", theirs="torch.optim.SGD's",
                        context=f"{where}: after call {i}")
            except CheckFailure as failure:
                raise CheckFailure(str(failure) + _step_hint(before, want["grads"][i - 1], case["lr"], g))
            before = w


def check_descent_step_in_place(cases: list) -> None:
    """The step changes the given tensor in place: it stays a leaf that requires grad, with its dtype and
    device, and its .grad is left as it was (clearing gradients is the caller's job, as in torch)."""
    for case in cases:
        got, want, where = _run_step(case)
        dtype = case.get("dtype", "float64")
        for i in range(len(want["values"])):
            at = f"{where}: after call {i + 1}"
            if not got["leaf"][i] or not got["requires_grad"][i]:
                raise CheckFailure(f"{at}: the parameter is no longer a leaf tensor that requires grad: update "
                                   f"it under `torch.no_grad()` (outside it, autograd records the update).")
            if got["dtypes"][i] != dtype or got["devices"][i] != got["device"]:
                raise CheckFailure(f"{at}: the parameter became {got['dtypes'][i]} on {got['devices'][i]}; it "
                                   f"must stay {dtype} on {got['device']}.")
            if got["grads_after"][i] is None:
                raise CheckFailure(f"{at}: param.grad is None: leave the gradient as it is (the caller clears "
                                   f"it, as with torch's optimizer.zero_grad()).")
            compare(got["grads_after"][i], want["grads"][i], dtype=dtype, context=at,
                    what="param.grad (it must be left unchanged)", theirs="the gradient before the step")
            compare(got["values"][i], want["values"][i], dtype=dtype, context=at, what="the parameter",
                    theirs="torch.optim.SGD's")


# ---- gradient_descent ----------------------------------------------------------------------------
def _path_title(case: dict) -> str:
    start = case["start"]
    extra = []
    if case.get("start_dtype", "float64") != "float64":
        extra.append(f"start in {case['start_dtype']}")
    if case.get("start_requires_grad"):
        extra.append("start.requires_grad=True")
    more = f" [{', '.join(extra)}]" if extra else ""
    return (f"{case.get('name', 'case')}: gradient_descent(f={case['function']}, start={_point(start)}, "
            f"lr={case['lr']!r}, steps={case['steps']}){more}")


def _run_path(case: dict) -> tuple[dict, dict, str]:
    kwargs = {k: v for k, v in case.items() if k != "name"}
    want = reference("torch.optim.SGD", {"gradient_descent": _sgd_path}, "gd_path_run", **{**kwargs, "device": "cpu"})
    try:
        got = student().probe("gd_path_run", **kwargs)
    except ProbeError as error:
        raise _raised(error, _path_title(case))
    return got, want, f"{_path_title(case)} on {got['device']}"


def _trajectory_hint(got: list, want: list, first_bad: int) -> str:
    """Name the usual mistakes from where and how a trajectory first differs from torch's."""
    rows = torch.tensor(got, dtype=torch.float64)
    ref = torch.tensor(want, dtype=torch.float64)
    if len(rows) > 2 and bool((rows == ref[0]).all()):
        return (" The point never moves: gradient_descent_step must change x itself, in place (the tensor "
                "whose .grad backward() filled).")
    if len(rows) > 2 and bool((rows == rows[-1]).all()):
        return (" Every row is the same point: you stored the tensor itself (or a view of it, like "
                "`x.detach()`), which later steps change in place; store a copy: `x.detach().clone()`.")
    if first_bad == 1:
        moved, expected = rows[1] - rows[0], ref[1] - ref[0]
        if _close(moved, -expected, 1e-5, 1e-9):
            return " Your first step goes uphill: gradient descent subtracts lr·gradient."
        nonzero = expected.abs() > 1e-12
        if nonzero.any():
            ratio = (moved[nonzero] / expected[nonzero])
            if bool((ratio - ratio[0]).abs().max() < 1e-6) and abs(float(ratio[0]) - 1) > 1e-6:
                return (f" Your first step is {float(ratio[0]):.4g} times torch's: is the learning rate applied "
                        f"twice, or not at all?")
    if first_bad == 2:
        return (" The first step is right and the second is not: do gradients accumulate? backward() adds "
                "to .grad, so clear it before each backward (`x.grad = None` or `x.grad.zero_()`).")
    return ""


def _compare_trajectory(info: dict, want: dict, where: str, steps: int, name: str) -> None:
    """Shape first (with the usual off-by-one causes), then every row against the reference."""
    _require_tensor(info, where, name)
    expected = [steps + 1, 2]
    if info["shape"] != expected:
        hint = ""
        if info["shape"][:1] == [steps]:
            hint = " One row is missing: the first row is the start, then one row after each step."
        elif info["shape"][:1] == [steps + 2]:
            hint = " One row too many: the first row is the start, then one row after each of the steps."
        raise CheckFailure(f"{where}: the result has shape {tuple(info['shape'])}, expected {tuple(expected)}.{hint}")
    got_rows, want_rows = info["values"], want["result"]["values"]
    try:
        compare(got_rows[0], want_rows[0], what="row 0", theirs="the start", context=where)
    except CheckFailure:
        raise CheckFailure(f"{where}: the first row must be the start {want_rows[0]}; yours is {got_rows[0]}."
                           + _trajectory_hint(got_rows, want_rows, 0))
    for k in range(1, steps + 1):
        try:
            compare(got_rows[k], want_rows[k], what="the point", theirs="torch.optim.SGD's",
                    context=f"{where}: row {k} (after step {k})")
        except CheckFailure as failure:
            raise CheckFailure(str(failure) + _trajectory_hint(got_rows, want_rows, k))


def check_descent_path(cases: list) -> None:
    """gradient_descent(f, start, lr, steps) must follow torch.optim.SGD's path for the f it is given."""
    for case in cases:
        got, want, where = _run_path(case)
        _compare_trajectory(got["result"], want, where, case["steps"], "gradient_descent")


def _check_contract(got: dict, want: dict, where: str, name: str, what_start: str) -> None:
    info = got["result"]
    _require_tensor(info, where, name)
    if got["start_changed"]:
        raise CheckFailure(f"{where}: your function changed {what_start} in place; work on a copy "
                           f"(`{what_start}.detach().clone()`; `.detach()` alone shares its memory).")
    if got["start_requires_grad"] != want["start_requires_grad"] or got["start_grad"]:
        raise CheckFailure(f"{where}: your function changed {what_start}'s autograd state (requires_grad or "
                           f".grad); work on a copy: `{what_start}.detach().clone().requires_grad_(True)`.")
    if info["dtype"] != "float64":
        raise CheckFailure(f"{where}: the result is {info['dtype']}; return float64 values (compute in float64 "
                           f"whatever the dtype of {what_start}; `torch.zeros(...)` is float32 by default).")
    later = torch.tensor(info["values"], dtype=torch.float64)[1:].flatten()
    later = later[torch.isfinite(later) & (later != later.round())]
    if later.numel() >= 4 and torch.equal(later.to(torch.float32).to(torch.float64), later):
        raise CheckFailure(f"{where}: every value after the start is a float32 number: the descent ran in "
                           f"float32. Convert {what_start} to float64 first, then compute.")
    if info["requires_grad"]:
        raise CheckFailure(f"{where}: the result requires grad (it is part of an autograd graph); return "
                           f"detached values (`.detach()`), computed from copies of the points.")
    if info["device"] != got["device"]:
        raise CheckFailure(f"{where}: the result is on {info['device']}; keep it on {what_start}'s device "
                           f"({got['device']}).")


def check_descent_path_contract(cases: list) -> None:
    """start is left alone, the result is a detached float64 tensor on start's device, computed in float64."""
    for case in cases:
        got, want, where = _run_path(case)
        _check_contract(got, want, where, "gradient_descent", "start")
        _compare_trajectory(got["result"], want, where, case["steps"], "gradient_descent")


# ---- grad_sin_cos ---------------------------------------------------------------------------------
def _gradient_title(case: dict) -> str:
    return (f"{case.get('name', 'case')}: grad_sin_cos(x) with x of shape {tuple(case['shape'])} in "
            f"{case.get('dtype', 'float64')}, coordinates in [-{case.get('scale', 10.0)}, {case.get('scale', 10.0)}]")


def check_hand_gradient(cases: list) -> None:
    """grad_sin_cos(x) must equal autograd's gradient of sin x1 cos x2 + sin(x1/2) cos(x2/2), row by row."""
    for case in cases:
        kwargs = {k: v for k, v in case.items() if k != "name"}
        want = reference("autograd", {"grad_sin_cos": _autograd_gradient}, "gd_hand_gradient",
                         **{**kwargs, "device": "cpu"})
        title = _gradient_title(case)
        try:
            got = student().probe("gd_hand_gradient", **kwargs)
        except ProbeError as error:
            raise _raised(error, title)
        info = got["result"]
        _require_tensor(info, title, "grad_sin_cos")
        shape = tuple(case["shape"])
        if tuple(info["shape"]) != shape:
            hint = ""
            if tuple(info["shape"]) == (2, *shape[:-1]):
                hint = " Stack the two partial derivatives along the last dimension (`dim=-1`)."
            raise CheckFailure(f"{title}: the gradient has shape {tuple(info['shape'])}, expected {shape} "
                               f"(the shape of x).{hint}")
        dtype = case.get("dtype", "float64")
        if info["dtype"] != dtype:
            raise CheckFailure(f"{title}: the gradient is {info['dtype']}; keep x's dtype ({dtype}).")
        if got["input_changed"]:
            raise CheckFailure(f"{title}: grad_sin_cos changed x in place; compute new tensors.")
        g = torch.tensor(info["values"], dtype=torch.float64).reshape(-1, 2)
        w = torch.tensor(want["result"]["values"], dtype=torch.float64).reshape(-1, 2)
        xs = torch.tensor(want["x"], dtype=torch.float64).reshape(-1, 2)
        for j, name in enumerate(("∂f/∂x1", "∂f/∂x2")):
            try:
                compare(g[:, j].tolist(), w[:, j].tolist(), dtype=dtype, what=name, theirs="autograd's",
                        context=title)
            except CheckFailure as failure:
                row = int(torch.nan_to_num((g[:, j] - w[:, j]).abs(), nan=math.inf).argmax())
                mine, theirs = format_pair(float(g[row, j]), float(w[row, j]))
                raise CheckFailure(f"{failure} At x = {_point(xs[row].tolist())}: yours {mine}, autograd {theirs}.")


# What computing a gradient with autograd is written with (torch.autograd, .backward(), torch.func...).
AUTOGRAD_API = ["autograd", "backward", "grad", "func", "functorch", "jacrev", "jacfwd", "vjp", "jvp", "hessian",
                "requires_grad_", "enable_grad"]


def check_hand_gradient_no_autograd() -> None:
    """grad_sin_cos is written by hand: its own source holds code beyond the template and reaches no
    autograd API (parsed here, never run: whether its values are right is the other tests' business), and it
    runs no backward while the probe watches (what the sandbox reports can only take the point away)."""
    sources = student().sources("grad_sin_cos")
    missing = written_in_source(sources, "grad_sin_cos")
    if missing:
        raise CheckFailure(f"grad_sin_cos: {missing}: nothing to check.")
    used = uses_in_source(sources, "grad_sin_cos", AUTOGRAD_API)
    if used:
        raise IntegrityFlag("uses-autograd", f"grad_sin_cos uses autograd ({', '.join(used)}): write the partial "
                                             f"derivatives by hand.")
    try:
        got = student().probe("gd_hand_gradient", shape=[5, 2], seed=7, watch_autograd=True)
    except ProbeError as error:
        raise CheckFailure(f"grad_sin_cos does not run yet ({error.describe()}): nothing to check.")
    if got["autograd"]:
        raise IntegrityFlag("uses-autograd", "grad_sin_cos uses autograd (backward, torch.autograd.grad or "
                                             "torch.func): write the partial derivatives by hand.")


# ---- gradient_descent_many -------------------------------------------------------------------------
def _many_title(case: dict) -> str:
    extra = []
    if case.get("start_dtype", "float64") != "float64":
        extra.append(f"starts in {case['start_dtype']}")
    if case.get("start_requires_grad"):
        extra.append("starts.requires_grad=True")
    more = f" [{', '.join(extra)}]" if extra else ""
    box = f"[{case.get('low', 0.0):g}, {case.get('high', 10.0):g}]²"
    return (f"{case.get('name', 'case')}: gradient_descent_many(f={case['function']}, starts=({case['n']}, 2) in "
            f"{box} (seed {case.get('seed', 0)}), lr={case['lr']!r}, steps={case['steps']}){more}")


def _run_many(case: dict, whole_batch: bool = False) -> tuple[dict, dict, str]:
    """The student's run and the reference's (one torch.optim.SGD run per point, with the true f; the
    student's f is the batch-only one when `whole_batch`)."""
    kwargs = {k: v for k, v in case.items() if k != "name"}
    want = reference("torch.optim.SGD", {"gradient_descent_many": _sgd_paths}, "gd_many_run",
                     **{**kwargs, "device": "cpu"})
    try:
        got = student().probe("gd_many_run", **kwargs, whole_batch=whole_batch)
    except ProbeError as error:
        raise _raised(error, _many_title(case))
    return got, want, f"{_many_title(case)} on {got['device']}"


def _compare_many(got: dict, want: dict, where: str, case: dict) -> None:
    info = got["result"]
    _require_tensor(info, where, "gradient_descent_many")
    steps, n = case["steps"], case["n"]
    if info["shape"] != [steps + 1, n, 2]:
        hint = ""
        if info["shape"] == [n, steps + 1, 2]:
            hint = " Stack the rows along a new first dimension: result[k] holds every point after step k."
        elif info["shape"][1:] == [n, 2]:
            hint = " The first row is the starts, then one row after each step."
        raise CheckFailure(f"{where}: the result has shape {tuple(info['shape'])}, "
                           f"expected ({steps + 1}, {n}, 2).{hint}")
    rows = torch.tensor(info["values"], dtype=torch.float64)
    ref = torch.tensor(want["result"]["values"], dtype=torch.float64)
    try:
        compare(rows[0].tolist(), ref[0].tolist(), what="result[0]", theirs="the starts", context=where)
    except CheckFailure as failure:
        raise CheckFailure(f"{failure} result[0] must be the starts.")
    for i in range(n):
        try:
            compare(rows[:, i].tolist(), ref[:, i].tolist(), what="its trajectory",
                    theirs="a torch.optim.SGD run from that point alone",
                    context=f"{where}: point {i} (start {_point(ref[0, i].tolist())})")
        except CheckFailure as failure:
            bad = (rows[:, i] - ref[:, i]).abs().nan_to_num(nan=math.inf) > 1e-8 + 1e-7 * ref[:, i].abs()
            first = int(bad.any(dim=1).nonzero()[0]) if bad.any() else 1
            raise CheckFailure(f"{failure} First difference after step {first}."
                               + _trajectory_hint(rows[:, i].tolist(), ref[:, i].tolist(), first))


def check_descent_many(cases: list) -> None:
    """Every point's trajectory must equal a gradient-descent run from that point alone."""
    for case in cases:
        got, want, where = _run_many(case)
        _compare_many(got, want, where, case)


def check_descent_many_contract(cases: list) -> None:
    """starts is left alone; the result is a detached float64 tensor on the starts' device."""
    for case in cases:
        got, want, where = _run_many(case)
        _check_contract(got, want, where, "gradient_descent_many", "starts")
        _compare_many(got, want, where, case)


def check_descent_many_vectorised(function: str = "sin_cos", sizes: tuple = (3, 40), lr: float = 0.3,
                                  steps: int = 10) -> None:
    """Vectorised means: all the points at once. The runs get an f that is right only when it is called on
    the whole (n, 2) tensor (or under torch.func's vmap over all of it) and NaN on a single point or a
    slice, so a loop over the points gives trajectories of NaN; the trajectories are compared with a
    torch.optim.SGD run per point, as in the other tests: the points rest on these numbers. Then, for
    code that loops without slicing (a backward per row), the calls of f and the torch operations must not
    grow with the number of points: what the sandbox reports of that can only take the points away.
    Style-independent: sum then backward, autograd.grad or torch.func all pass."""
    runs = {}
    for n in sorted(sizes):
        case = {"name": "f only on all the points at once", "function": function, "n": n, "lr": lr,
                "steps": steps}
        got, want, where = _run_many(case, whole_batch=True)
        try:
            _compare_many(got, want, where, case)
        except CheckFailure as failure:
            if got.get("partial_calls"):
                shapes = ", ".join(str(tuple(s)) for s in got["partial_calls"][:3])
                raise CheckFailure(f"{where}: f was called on part of the points (inputs of shape {shapes}), "
                                   f"where this test's f gives NaN: a loop over the points? Call f once per "
                                   f"step on the whole ({n}, 2) tensor. ({failure})")
            raise
        runs[n] = got
    few, many = min(runs), max(runs)
    a, b = runs[few], runs[many]
    where = f"gradient_descent_many with {steps} steps"
    if b["f_calls"] > a["f_calls"]:
        raise CheckFailure(f"{where}: f was called {b['f_calls']} times for {many} points but {a['f_calls']} "
                           f"times for {few} points: a loop over the points? Call f once per step on the whole "
                           f"({many}, 2) tensor.")
    if b["ops"] > 1.2 * a["ops"] + 10:
        raise CheckFailure(f"{where}: your code runs {b['ops']} torch operations for {many} points but {a['ops']} "
                           f"for {few} points: something loops over the points (a backward per row?). Work on "
                           f"the whole (n, 2) tensor at once (no Python loop over its rows).")


# ---- reached_minima ----------------------------------------------------------------------------------
def _reached_case(m: int, n: int, spacing: float, seed: int) -> dict:
    """Minima on a jittered lattice (any two at least 0.8·spacing apart), radius 0.3·spacing, and points
    whose answer is known by construction: within 0.95·radius of one minimum (that one is the nearest:
    the others are more than 0.8·spacing − radius away), or at 1.05–1.6·radius from one (and so farther
    than radius from all), or not finite. No distance is computed here."""
    gen = torch.Generator().manual_seed(seed)
    side = max(2, math.ceil(math.sqrt(m * 1.5)))
    cells = torch.randperm(side * side, generator=gen)[:m]
    lattice = torch.stack([cells // side, cells % side], dim=1).to(torch.float64) * spacing
    minima = lattice + (torch.rand(m, 2, generator=gen, dtype=torch.float64) - 0.5) * 0.2 * spacing
    radius = 0.3 * spacing
    points, labels, notes = [], [], []
    for i in range(n):
        kind = int(torch.randint(0, 10, (1,), generator=gen))
        k = int(torch.randint(0, m, (1,), generator=gen))
        angle = float(torch.rand(1, generator=gen, dtype=torch.float64)) * 2 * math.pi
        u = float(torch.rand(1, generator=gen, dtype=torch.float64))
        if kind < 5:  # near minimum k
            r = 0.95 * radius * u
            labels.append(k)
            notes.append(f"at distance {r:.4g} from minimum {k} (radius {radius:.4g}), farther from every other")
        elif kind < 9:  # just outside minimum k's radius, and so outside every other's
            r = radius * (1.05 + 0.55 * u)
            labels.append(-1)
            notes.append(f"at distance {r:.4g} from minimum {k}, more than the radius {radius:.4g} from every minimum")
        else:
            bad = [math.nan, math.inf, -math.inf][i % 3]
            points.append([bad, float(minima[k, 1])] if i % 2 else [float(minima[k, 0]), bad])
            labels.append(-1)
            notes.append("not finite (a run that diverged)")
            continue
        points.append([float(minima[k, 0]) + r * math.cos(angle), float(minima[k, 1]) + r * math.sin(angle)])
    return {"endpoints": points, "minima": minima.tolist(), "radius": radius, "labels": labels, "notes": notes}


def check_reached_minima(cases: list) -> None:
    """reached_minima(endpoints, minima, radius): the index of the nearest minimum closer than radius, else -1."""
    for case in cases:
        data = _reached_case(case["m"], case["n"], case.get("spacing", 1.0), case.get("seed", 0))
        title = (f"{case.get('name', 'case')}: reached_minima(endpoints ({case['n']}, 2), minima ({case['m']}, 2), "
                 f"radius={data['radius']:.4g})")
        try:
            got = student().probe("gd_reached", endpoints=data["endpoints"], minima=data["minima"],
                                  radius=data["radius"])
        except ProbeError as error:
            raise _raised(error, title)
        info = got["result"]
        _require_tensor(info, title, "reached_minima")
        if info["shape"] != [case["n"]]:
            raise CheckFailure(f"{title}: the result has shape {tuple(info['shape'])}, expected ({case['n']},): "
                               f"one index per endpoint.")
        if not info["integer"]:
            raise CheckFailure(f"{title}: the result is {info['dtype']}; return integer indices (torch.long).")
        if got["inputs_changed"]:
            raise CheckFailure(f"{title}: reached_minima changed its inputs in place.")
        for i, (g, w) in enumerate(zip(info["values"], data["labels"])):
            if g != w:
                raise CheckFailure(f"{title}: endpoint {i} {_point(data['endpoints'][i])}, {data['notes'][i]}: "
                                   f"yours {int(g)}, expected {w}.")


# ---- own work ----------------------------------------------------------------------------------------
def check_descent_own_work() -> None:
    """The step and the trajectories are your own update: while torch's optimizers are switched off (calling
    one is flagged), at least one of the three functions is written in your answers (read from the source,
    never from the sandbox's word) and runs. No name in the source is judged; the numbers are for the other
    tests."""
    runs = {
        "gradient_descent_step": ("gd_step_run", {"shape": [3], "lr": 0.1, "calls": 2}),
        "gradient_descent": ("gd_path_run", {"function": "bowl", "start": [0.5, 0.5], "lr": 0.1, "steps": 3}),
        "gradient_descent_many": ("gd_many_run", {"function": "bowl", "n": 3, "lr": 0.1, "steps": 3}),
    }
    used, ran, errors = [], 0, []
    for name, (probe_name, kwargs) in runs.items():
        try:
            student().probe(probe_name, **kwargs)
        except ProbeError as error:  # not written yet: its own tests fail; check the others
            if SWITCHED_OFF_MARK in error.message:
                used.append(f"{name} calls torch's optimizers")
            errors.append(f"{name}: {error.describe()}")
            continue
        problem = written_in_source(student().sources(name), name)
        if problem:
            errors.append(problem)
            continue
        ran += 1
    if used:
        raise IntegrityFlag("uses-torch-sgd", f"{'; '.join(used)}: write the update yourself.")
    if not ran:
        raise CheckFailure(f"None of the three functions is written and runs yet ({'; '.join(errors)}): nothing "
                           f"to check.")
