"""Checks that compare a student's `torch.optim.Optimizer` subclass with torch's, step by step.

A *case* is plain data: parameter groups (shapes + options), dtype, number of steps, and the
twists that expose state bugs (gradients set to None, lr changed mid-run, a closure, a
state_dict round trip, gradients zeroed in place instead of set to None, `p.grad` checked after
each step). The same case runs the student's class and torch's on the same parameters and the
same loss; every parameter is compared after every step.
"""

from typing import Any, Optional

import torch

from .core import (
    DTYPES,
    SWITCHED_OFF_MARK,
    CheckFailure,
    IntegrityFlag,
    ProbeError,
    compare,
    describe,
    explain,
    fired,
    forbidden_uses,
    pick_device,
    probe,
    reference,
    student,
    to_data,
    tripwire_counts,
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
OPTIMIZER_SWITCHED_OFF = ["torch.optim.adam", "torch.optim.adamw", "torch.optim.nadam", "torch.optim.radam",
                          "torch.optim.sgd", "aten._fused_adam_", "aten._fused_adamw_", "aten._fused_sgd_"]

# Names a student's optimizer source must not use (matched as whole identifiers, any case).
ADAM_FAMILY = ["Adam", "NAdam", "AdamW", "RAdam", "_functional", "_fused_adam_", "_fused_adamw_",
               "_single_tensor_adam", "_multi_tensor_adam", "_single_tensor_nadam", "_multi_tensor_nadam"]
SGD_FAMILY = ["SGD", "_functional", "_fused_sgd_", "_single_tensor_sgd", "_multi_tensor_sgd"]


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
                        else float(out) if isinstance(out, (float, int)) else str(type(out)))
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
        return {"raised": type(error).__name__, "message": str(error)}
    group = opt.param_groups[0]
    return {"raised": None, "group": {k: to_data(v) for k, v in group.items() if k != "params"}}


def _reference_namespace(cls: str, torch_name: str) -> dict:
    return {cls: getattr(torch.optim, torch_name)}


def _case_title(case: dict) -> str:
    groups = case["groups"]
    if len(groups) == 1:
        settings = describe(groups[0].get("options", {})) or "default settings"
    else:
        settings = "; ".join(f"group {i}: {describe(g.get('options', {})) or 'defaults'}" for i, g in enumerate(groups))
    extras = []
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


def check_optimizer(cls: str, torch_name: str, cases: list) -> None:
    """Run every case with the student's `cls` and with `torch.optim.<torch_name>`; compare every step."""
    for case in cases:
        dtype = case.get("dtype", "float64")
        kwargs = {k: v for k, v in case.items() if k != "name"}
        want = reference(f"torch.optim.{torch_name}", _reference_namespace(cls, torch_name), "optimizer_run",
                         cls=cls, **{**kwargs, "device": "cpu"})
        try:
            got = student().probe("optimizer_run", cls=cls, **kwargs)
        except ProbeError as error:
            raise CheckFailure(f"{cls}, {_case_title(case)} in {dtype}: your code raised {error.describe()}")
        where = f"{cls}, {_case_title(case)} in {dtype} on {got['device']}"
        if got["dtypes"] != want["dtypes"]:
            raise CheckFailure(f"{where}: parameters changed dtype to {got['dtypes']} (should stay {want['dtypes']}).")
        if got["devices"] != [got["device"]] * len(got["devices"]):
            raise CheckFailure(f"{where}: parameters moved to {got['devices']} (should stay on {got['device']}).")
        shapes = [s for g in case["groups"] for s in g["shapes"]]
        try:
            for step, (g_params, w_params) in enumerate(zip(got["trajectory"], want["trajectory"]), start=1):
                for j, (g, w) in enumerate(zip(g_params, w_params)):
                    compare(g, w, dtype=dtype, theirs=f"torch.optim.{torch_name}'s",
                            what=f"parameter {j} (shape {tuple(shapes[j])})",
                            context=f"{where}: after step {step}")
        except CheckFailure as failure:
            if case.get("zero_grad") != "inplace":
                raise
            raise CheckFailure(f"{failure} (This case zeroes gradients in place: backward writes each new gradient "
                               f"into the same p.grad tensor. If only such cases fail, your state holds p.grad "
                               f"itself instead of a copy.)")
        if case.get("check_grads"):
            _compare_grads(got["grads"], want["grads"], shapes, dtype, where, torch_name)
        for step, (g, w) in enumerate(zip(got["returned"], want["returned"]), start=1):
            if (g is None) != (w is None) or (g is not None and abs(g - w) > 1e-6 * (1 + abs(w))):
                expected = "None (no closure was given)" if w is None else f"the closure's loss {w:.6g}"
                raise CheckFailure(f"{where}: step {step} returned {g!r}; it should return {expected}.")


def _compare_grads(got: list, want: list, shapes: list, dtype: str, where: str, torch_name: str) -> None:
    """`p.grad` after each step must be what backward left there: step() reads it, never writes it."""
    for step, (g_grads, w_grads) in enumerate(zip(got, want), start=1):
        for j, (g, w) in enumerate(zip(g_grads, w_grads)):
            what = f"parameter {j}'s .grad (shape {tuple(shapes[j])})"
            if (g is None) != (w is None):
                raise CheckFailure(f"{where}: after step {step}, {what} is {'None' if g is None else 'set'}; "
                                   f"step() must leave .grad as backward left it.")
            if g is not None:
                try:
                    compare(g, w, dtype=dtype, theirs="backward's", what=what, context=f"{where}: after step {step}")
                except CheckFailure as failure:
                    raise CheckFailure(f"{failure} step() changed the gradient in place: torch.optim.{torch_name} "
                                       f"never modifies p.grad (work on a new tensor, e.g. "
                                       f"grad = p.grad.add(p, alpha=wd), and store copies in the state).")


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


def check_own_implementation(cls: str, base: str, forbidden: list, case: dict) -> None:
    """`cls` must work, subclass torch.optim.Optimizer, and be built on neither torch's class of the same
    algorithm (by inheritance or by name in its source) nor its kernels (counted while it steps)."""
    try:
        run = student().probe("optimizer_run", cls=cls, **case)
    except ProbeError as error:
        if SWITCHED_OFF_MARK in error.message:
            raise IntegrityFlag(f"uses-torch-{base.lower()}", f"{cls} is built on torch's own {base} "
                                                              f"({error.describe()}): write the update yourself.")
        raise CheckFailure(f"{cls} does not run yet ({error.describe()}): nothing to check.")
    info = student().probe("class_info", cls=cls)
    if not info["is_class"] or "torch.optim.optimizer.Optimizer" not in info["mro"]:
        raise CheckFailure(f"{cls} should be a subclass of torch.optim.Optimizer.")
    torch_bases = [m for m in info["mro"][1:] if m.startswith("torch.") and m != "torch.optim.optimizer.Optimizer"]
    used = forbidden_uses(student().sources(cls), forbidden)
    if torch_bases or used or run["torch_calls"]:
        what = ", ".join(torch_bases + used + run["torch_calls"])
        raise IntegrityFlag(f"uses-torch-{base.lower()}",
                            f"{cls} is built on torch's own {base} ({what}): write the update yourself.")
