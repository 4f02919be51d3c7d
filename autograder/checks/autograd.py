"""Checks for custom `torch.autograd.Function`s: the values they compute and the graph they build.

A student's Function is only ever *used* here, through `.apply`, the way torch uses it: the probes
build inputs, run the forward, call `backward` (with `gradient=` for non-scalar outputs, twice to
see gradients accumulate, inside a bigger graph) and return plain numbers and facts about the graph
(the grad_fn node, the tensors saved for backward). The checks compare those numbers with the same
probe run on a trusted stand-in made of torch's own differentiable operations, and compare the
student's backward with central differences of the student's own forward, computed here: the
verdict never rests on anything the student's code says about itself.

A *case* is plain data: `x` (explicit values) or `shape` + `seed` + `scale` (random values, the same
in every process), `args` (the extra arguments of `apply`, e.g. [lambd]), `grad` (how backward is
called), `again` (a second backward) and `dtype`.
"""

import warnings
from typing import Any, Callable, Optional

import torch

from .core import (
    DTYPES,
    SWITCHED_OFF_MARK,
    CheckFailure,
    IntegrityFlag,
    ProbeError,
    clip,
    compare,
    pick_device,
    probe,
    reference,
    student,
    student_limit,
    subclass_in_source,
    to_data,
    uses_in_source,
    written_in_source,
)

# torch's own softplus (StableSoftplus must compute the stable formula itself): its kernels under every
# name, switched off inside the sandbox while grading (switch_off.py):
# softplus (F.softplus, nn.Softplus, torch._C._nn.softplus, torch.ops.aten.softplus) and the kernels whose
# formula is log(1 + eˣ) or its two-term log-sum-exp, stable as the exercise asks: −log σ(−x)
# (F.logsigmoid), logaddexp(x, 0) (and base 2), logsumexp over [x, 0], log_softmax of [x, 0] (and so
# cross_entropy), binary_cross_entropy_with_logits(x, 0) and soft_margin_loss(x, −1). The building
# blocks (exp, log1p, maximum, abs, sigmoid for the derivative) stay.
AUTOGRAD_SWITCHED_OFF = ["aten.softplus", "aten.log_sigmoid_forward", "aten.logaddexp", "aten.logaddexp2",
                         "aten.logsumexp", "aten._log_softmax", "aten.binary_cross_entropy_with_logits",
                         "aten.soft_margin_loss"]


class _StandIn:
    """Something with `.apply`, like a Function, that computes with torch's own differentiable ops."""

    def __init__(self, fn: Callable[..., torch.Tensor]) -> None:
        self.apply = fn


def _reversed_gradient(x: torch.Tensor, lambd: float) -> torch.Tensor:
    # The value of x (exactly: x - x.detach() is 0), but the derivative of the second term is -lambd.
    return x.detach() + (x - x.detach()) * -lambd


# Reference-side code (GradReverse's stand-in), stubbed in the sandbox's copy of this module.
AUTOGRAD_REFERENCE_ONLY = ["_reversed_gradient"]

# The trusted side of every comparison, by the name of the graded class.
FUNCTION_REFERENCES: dict[str, tuple[str, Callable[..., torch.Tensor]]] = {
    "Cube": ("expected (torch's x*x*x)", lambda x: x * x * x),
    "GradReverse": ("expected", _reversed_gradient),
    # threshold=40: beyond it softplus(x) = x to within float64's resolution (torch's default, 20, is coarser)
    "StableSoftplus": ("expected (torch's softplus)", lambda x: torch.nn.functional.softplus(x, threshold=40.0)),
}


def _reference_data(cls: str, probe_name: str, **kwargs: Any) -> Any:
    label, fn = FUNCTION_REFERENCES[cls]
    return reference(label, {cls: _StandIn(fn)}, probe_name, cls=cls, **{**kwargs, "device": "cpu"})


def _theirs(cls: str) -> str:
    return FUNCTION_REFERENCES[cls][0]


def _find(namespace: dict, cls: str) -> Any:
    if cls not in namespace:
        raise ProbeError("NameError", f"{cls} is not defined: run the cell that defines it first")
    return namespace[cls]


def _input(case: dict, dtype: str, device: torch.device) -> tuple[torch.Tensor, Optional[torch.Tensor], list]:
    """The case's x (a leaf that requires grad), its gradient v (or None) and further gradients."""
    gen = torch.Generator().manual_seed(int(case.get("seed", 0)))
    if case.get("x") is not None:
        x = torch.tensor(case["x"], dtype=torch.float64)
    else:
        x = torch.randn(case.get("shape", [3]), generator=gen, dtype=torch.float64) * case.get("scale", 1.0)
    grads = [torch.randn(x.shape, generator=gen, dtype=torch.float64) for _ in range(2)]
    if case.get("grad", "random") == "ones":
        grads = [torch.ones_like(x), torch.ones_like(x)]
    dt = DTYPES[dtype]
    return (x.to(device, dt).requires_grad_(), grads[0].to(device, dt), [g.to(device, dt) for g in grads[1:]])


def _shares_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _backward(y: torch.Tensor, v: torch.Tensor, mode: str, retain: bool = False) -> None:
    if mode == "none":  # a 0-d output: backward() with no argument
        y.backward(retain_graph=retain)
    elif mode == "sum":
        y.sum().backward(retain_graph=retain)
    else:
        y.backward(gradient=v, retain_graph=retain)


def _output_facts(y: Any) -> dict:
    if not isinstance(y, torch.Tensor):
        return {"tensor": False, "type": clip(type(y).__name__)}
    return {"tensor": True, "dtype": clip(str(y.dtype).replace("torch.", "")), "shape": list(y.shape),
            "device": clip(y.device.type), "requires_grad": bool(y.requires_grad),
            "grad_fn": None if y.grad_fn is None else clip(type(y.grad_fn).__name__)}


def _too_big(y: Any, x: torch.Tensor) -> bool:
    """An output with more entries than a probe sends (reply contracts): its facts alone say what is wrong."""
    return isinstance(y, torch.Tensor) and y.numel() > student_limit(x.numel())


@probe
def function_apply(namespace: dict, cls: str, case: dict, dtype: str = "float64", device: str = "auto") -> dict:
    """y = cls.apply(x, *args); backward as the case says; everything a check compares, as data.

    case["grad"]: "random" (y.backward(gradient=v)), "ones", "sum" (y.sum().backward()) or "none"
    (y.backward(), 0-d x). case["again"]: "new" (apply again and backward again: x.grad accumulates)
    or "retain" (backward twice through the same graph). case["inplace"]: c multiplies y in place
    (y.mul_(c)) before backward.
    """
    Function = _find(namespace, cls)
    dev = pick_device(device)
    x, v, more = _input(case, dtype, dev)
    args = list(case.get("args", []))
    mode, again = case.get("grad", "random"), case.get("again")
    x_before, v_before = x.detach().clone(), v.clone()
    y = Function.apply(x, *args)
    facts = _output_facts(y)
    if not facts["tensor"] or _too_big(y, x):
        return {"output": facts}
    out: dict[str, Any] = {"output": facts, "forward": to_data(y), "device": dev.type,
                           "shares_memory": _shares_memory(y, x),
                           "input_changed_by_forward": not torch.equal(x.detach(), x_before)}
    if case.get("inplace") is not None:
        try:
            y.mul_(case["inplace"])
        except RuntimeError as error:  # torch refuses in-place changes of a view made inside a Function
            return {**out, "inplace_error": clip(str(error).split(". ")[0])}
        out["input_changed_by_inplace"] = not torch.equal(x.detach(), x_before)
    if not y.requires_grad:
        return {**out, "grad": None}
    _backward(y, v, mode, retain=again == "retain")
    out["grad"] = None if x.grad is None else to_data(x.grad)
    out["grad_arg_changed"] = not torch.equal(v, v_before)
    out["input_changed_by_backward"] = not torch.equal(x.detach(), x_before)
    if again == "new":
        _backward(Function.apply(x, *args), more[0], mode)
    elif again == "retain":
        _backward(y, more[0], mode)
    if again:
        out["grad_again"] = None if x.grad is None else to_data(x.grad)
    return out


@probe
def function_in_graph(namespace: dict, cls: str, args: list, seed: int = 0, scale: float = 1.5,
                      dtype: str = "float64", device: str = "auto") -> dict:
    """The Function in the middle of a small network, its input used by another branch too.

    h = scale·tanh(x W1 + b1);  loss = Σ sin(h Wa) + ¼ Σ (cls.apply(h, *args) Wb)²;  loss.backward().
    Returns the loss and the gradients of every leaf: each one depends on the Function's backward.
    """
    Function = _find(namespace, cls)
    dev, dt = pick_device(device), DTYPES[dtype]
    gen = torch.Generator().manual_seed(seed)
    shapes = {"x": (4, 3), "W1": (3, 5), "b1": (5,), "Wa": (5, 2), "Wb": (5, 2)}
    leaves = {name: torch.randn(shape, generator=gen, dtype=torch.float64).to(dev, dt).requires_grad_()
              for name, shape in shapes.items()}
    h = scale * torch.tanh(leaves["x"] @ leaves["W1"] + leaves["b1"])
    z = Function.apply(h, *args)
    if not isinstance(z, torch.Tensor):
        return {"output": _output_facts(z)}
    loss = torch.sin(h @ leaves["Wa"]).sum() + 0.25 * ((z @ leaves["Wb"]) ** 2).sum()
    loss.backward()
    return {"output": _output_facts(z), "loss": to_data(loss), "device": dev.type,
            "grads": {name: None if t.grad is None else to_data(t.grad) for name, t in leaves.items()}}


@probe
def function_jacobian(namespace: dict, cls: str, x: list, args: list, eps: float = 1e-6,
                      device: str = "auto") -> dict:
    """In float64: the Jacobian from the student's backward (one row per unit grad_output) and the
    student's forward at x ± eps·e_i (central differences are taken by the check, not here), plus
    torch.autograd.gradcheck's own verdict, as an extra."""
    Function = _find(namespace, cls)
    dev = pick_device(device)
    x0 = torch.tensor(x, dtype=torch.float64, device=dev)
    n = x0.numel()
    rows = []
    for j in range(n):
        xj = x0.clone().requires_grad_()
        y = Function.apply(xj, *args)
        if not isinstance(y, torch.Tensor) or _too_big(y, x0):
            return {"output": _output_facts(y)}
        unit = torch.zeros_like(y).reshape(-1)
        unit[j] = 1.0
        y.backward(gradient=unit.reshape(y.shape))
        rows.append(to_data(xj.grad.reshape(-1)) if xj.grad is not None else None)
    plus, minus = [], []
    width = None  # every output the same size (the reply's contract): one that changes is reported as it is
    with torch.no_grad():
        for i in range(n):
            step = torch.zeros(n, dtype=torch.float64, device=dev)
            step[i] = eps
            for values, sign in ((plus, 1), (minus, -1)):
                y = Function.apply(x0 + sign * step.reshape(x0.shape), *args)
                if not isinstance(y, torch.Tensor) or _too_big(y, x0) or y.numel() != (width or y.numel()):
                    return {"output": _output_facts(y)}
                width = y.numel()
                values.append(to_data(y.reshape(-1)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            verdict: Any = bool(torch.autograd.gradcheck(lambda t: Function.apply(t, *args),
                                                         (x0.clone().requires_grad_(),), raise_exception=False))
    except Exception as error:
        verdict = clip(f"{type(error).__name__}: {error}", 300)
    return {"output": {"tensor": True}, "rows": rows, "plus": plus, "minus": minus, "gradcheck": verdict}


@probe
def function_graph(namespace: dict, cls: str, x: list, args: list, device: str = "auto") -> dict:
    """What the class is and what one call leaves in the graph: the grad_fn node, the tensors it saved
    with ctx.save_for_backward (compared with x and y), tensors stashed as attributes of ctx."""
    klass = _find(namespace, cls)
    info: dict[str, Any] = {"is_class": isinstance(klass, type)}
    if not info["is_class"]:
        return info
    base = torch.autograd.Function
    info["mro"] = [clip(f"{k.__module__}.{k.__qualname__}") for k in klass.__mro__[:64]]
    info["is_function"] = issubclass(klass, base)
    if not info["is_function"]:
        return info
    info["overrides"] = {name: getattr(klass, name, None) is not getattr(base, name, None)
                         for name in ("forward", "backward")}
    info["overrides_apply"] = getattr(klass.apply, "__func__", None) is not base.apply.__func__
    x0 = torch.tensor(x, dtype=torch.float64, device=pick_device(device)).requires_grad_()
    y = klass.apply(x0, *args)
    info["output"] = _output_facts(y)
    if not isinstance(y, torch.Tensor) or y.grad_fn is None:
        return info
    node = y.grad_fn
    try:
        saved = list(getattr(node, "saved_tensors", ()) or ())
    except RuntimeError:
        saved = []
    y0 = y.detach()
    info["saved"] = [{"shape": list(t.shape),
                      "is_x": t.shape == x0.shape and bool(torch.equal(t.detach(), x0.detach())),
                      "is_y": t.shape == y0.shape and bool(torch.equal(t.detach(), y0))}
                     for t in saved[:32] if isinstance(t, torch.Tensor)]
    info["ctx_tensors"] = sorted(clip(k) for k, val in vars(node).items() if isinstance(val, torch.Tensor))[:64]
    return info


# ---- checks -------------------------------------------------------------------------------------

def _describe_case(cls: str, case: dict, dtype: str, device: str) -> str:
    args = "".join(f", {a!r}" for a in case.get("args", []))
    if case.get("x") is not None:
        values = case["x"]
        text = str(values) if len(str(values)) <= 60 else f"{str(values)[:57]}..."
        x = f"x = {text}"
    else:
        x = f"x of shape {tuple(case.get('shape', [3]))} (seed {case.get('seed', 0)})"
    how = {"random": "y.backward(gradient=v)", "ones": "y.backward(gradient=ones)",
           "sum": "y.sum().backward()", "none": "y.backward()"}[case.get("grad", "random")]
    if case.get("inplace") is not None:
        how = f"y.mul_({case['inplace']}), then {how}"
    name = f"{case['name']}: " if case.get("name") else ""
    return f"{name}y = {cls}.apply(x{args}), {how}, {x}, {dtype} on {device}"


def _run(cls: str, probe_name: str, what: str, **kwargs: Any) -> Any:
    try:
        return student().probe(probe_name, cls=cls, **kwargs)
    except ProbeError as error:
        raise CheckFailure(f"{what}: your code raised {error.describe()}")


def _require_tensor(facts: dict, where: str, cls: str) -> None:
    if not facts.get("tensor", True):
        raise CheckFailure(f"{where}: {cls}.apply returned a {facts['type']}, not a tensor: forward must return "
                           f"one tensor (not a tuple or a number).")


def _compare_finite(got: Any, want: Any, **kwargs: Any) -> None:
    """compare(), but first a clear message where yours is inf/NaN and the true value is finite."""
    try:
        g, w = torch.tensor(got, dtype=torch.float64), torch.tensor(want, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        g = w = None  # not numbers: compare() says so
    if g is not None and w is not None and g.shape == w.shape:
        bad = ~torch.isfinite(g) & torch.isfinite(w)
        if bool(bad.any()):
            i = int(bad.reshape(-1).nonzero()[0])
            at = f" at entry {[int(k) for k in torch.unravel_index(torch.tensor(i), g.shape)]}" if g.dim() else ""
            limit = "709.8 in float64" if kwargs.get("dtype", "float64") == "float64" else "88.7 in float32"
            raise CheckFailure(
                f"{kwargs['context']}: {kwargs['what']} is {g.reshape(-1)[i].item()}{at} where it should be "
                f"{w.reshape(-1)[i].item():.6g} ({int(bad.sum())} of {g.numel()} entries not finite): an "
                f"intermediate value overflows (e^x is inf from x ≈ {limit}) or becomes inf/inf or 0·inf. "
                f"Rewrite the formula so that nothing overflows, for any x.")
    compare(got, want, **kwargs)


def check_custom_function(cls: str, cases: list) -> None:
    """Forward values and x.grad after backward (once, then again: accumulated) equal the reference's;
    the input x and the gradient passed to backward are left unchanged; dtype and shape are kept."""
    for case in cases:
        dtype = case.get("dtype", "float64")
        body = {k: v for k, v in case.items() if k != "dtype"}
        tol = {k: case[k] for k in ("rtol", "atol") if k in case}
        want = _reference_data(cls, "function_apply", case=body, dtype=dtype)
        got = _run(cls, "function_apply", _describe_case(cls, case, dtype, "your device"), case=body, dtype=dtype)
        where = _describe_case(cls, case, dtype, got.get("device", "?"))
        _require_tensor(got["output"], where, cls)
        facts, wfacts = got["output"], want["output"]
        for key, text in (("shape", "shape"), ("dtype", "dtype"), ("device", "device")):
            if key == "device":
                if facts[key] != got["device"]:
                    raise CheckFailure(f"{where}: the output is on {facts[key]}, x is on {got['device']}.")
            elif facts[key] != wfacts[key]:
                raise CheckFailure(f"{where}: the output has {text} {facts[key]}, it should be {wfacts[key]} "
                                   f"(the {text} of x).")
        if got.get("inplace_error"):
            raise CheckFailure(f"{where}: torch refused y.mul_({case['inplace']}): \"{got['inplace_error']}\". "
                               f"forward returned x or a view of it: return a new tensor (x.clone()).")
        if got["input_changed_by_forward"]:
            raise CheckFailure(f"{where}: forward changed x in place. Compute a new tensor; never write into "
                               f"the input.")
        theirs = _theirs(cls)
        _compare_finite(got["forward"], want["forward"], what="the output y", context=where, dtype=dtype,
                        theirs=theirs, **tol)
        if not facts["requires_grad"]:
            raise CheckFailure(f"{where}: the output does not require grad, so backward cannot run: return the "
                               f"result of forward as it is (no .detach(), no torch.no_grad() around apply).")
        if got["grad"] is None:
            raise CheckFailure(f"{where}: x.grad is None after backward: backward must return the gradient "
                               f"with respect to x (one value per input of forward: None for non-tensors).")
        _compare_finite(got["grad"], want["grad"], what="x.grad", context=where, dtype=dtype, theirs=theirs, **tol)
        if got["grad_arg_changed"]:
            raise CheckFailure(f"{where}: backward changed grad_output in place (the tensor v passed to "
                               f"y.backward(gradient=v) changed). grad_output may be the caller's tensor or "
                               f"shared with other branches: return a new tensor (grad_output * ...) instead.")
        if got["input_changed_by_backward"]:
            raise CheckFailure(f"{where}: backward changed x in place (through a saved tensor): compute new "
                               f"tensors in backward, never modify what forward saved.")
        if case.get("again"):
            twice = ("after a second y2 = apply(x) and y2.backward(gradient=v2): gradients accumulate in x.grad"
                     if case["again"] == "new" else
                     "after a second backward through the same graph (retain_graph=True)")
            _compare_finite(got["grad_again"], want["grad_again"], what="x.grad", context=f"{where}; {twice}",
                            dtype=dtype, theirs=theirs, **tol)


def check_custom_function_class(cls: str, x: list, args: Optional[list] = None) -> None:
    """`cls` subclasses torch.autograd.Function, defines forward and backward, and `cls.apply(x)` gives an
    output whose grad_fn is the Function's own node (<cls>Backward): torch calls the student's backward."""
    args = list(args or [])
    call = f"{cls}.apply(x{''.join(f', {a!r}' for a in args)}) on x = {x}"
    info = _run(cls, "function_graph", call, x=x, args=args)
    if not info["is_class"]:
        raise CheckFailure(f"{cls} should be a class (a subclass of torch.autograd.Function).")
    if not info["is_function"]:
        raise CheckFailure(f"{cls} should be a subclass of torch.autograd.Function (class {cls}(Function): ...).")
    missing = [name for name, own in info["overrides"].items() if not own]
    if missing:
        raise CheckFailure(f"{cls} does not define {' and '.join(missing)}: write both as @staticmethod.")
    _require_tensor(info["output"], call, cls)
    node = info["output"]["grad_fn"]
    if node != f"{cls}Backward":
        raise CheckFailure(f"{call} gave an output whose grad_fn is {node}, not {cls}Backward: torch would "
                           f"not call your backward. Keep Function's own apply and return forward's result as it is.")


def check_saves_for_backward(cls: str, x: list, args: Optional[list] = None) -> None:
    """The Function saves what backward needs with ctx.save_for_backward (so torch can check that it was
    not modified in place before backward runs), not as an attribute of ctx. Paid only on what the grader
    checks itself: its forward gives the reference's numbers (a wrong backward costs other tests, not this
    one), and its own source saves with ctx.save_for_backward and reads ctx.saved_tensors (parsed here,
    never run); what the sandbox sees on the graph can only take the point away."""
    args = list(args or [])
    _jacobian_run(cls, x, args, 1e-6, f"{cls} at x = {x} (float64)")
    written = uses_in_source(student().sources(cls), cls, ["save_for_backward", "saved_tensors"])
    if written != ["save_for_backward", "saved_tensors"]:
        missing = sorted({"save_for_backward", "saved_tensors"} - set(written))
        raise CheckFailure(f"{cls}: its code never uses ctx.{' or ctx.'.join(missing)}: save the tensors backward "
                           f"needs with ctx.save_for_backward(...) in forward and read them back with "
                           f"ctx.saved_tensors in backward (not as attributes of ctx).")
    info = _run(cls, "function_graph", f"{cls}.apply(x) on x = {x}", x=x, args=args)
    if not info.get("is_function") or info.get("output", {}).get("grad_fn") != f"{cls}Backward":
        check_custom_function_class(cls, x, args)
    if not info.get("saved"):
        stashed = ", ".join(f"ctx.{name}" for name in info.get("ctx_tensors", []))
        how = f"You stored tensors as attributes ({stashed}); " if stashed else "Nothing was saved; "
        raise CheckFailure(f"{cls}: y.grad_fn.saved_tensors is empty after y = {cls}.apply(x). {how}save the "
                           f"tensors backward needs with ctx.save_for_backward(...) and read them back with "
                           f"ctx.saved_tensors: torch then detects an in-place change of them before backward.")


def _count(x: Any) -> int:
    return sum(_count(v) for v in x) if isinstance(x, list) else 1


def _jacobian_run(cls: str, x: list, args: list, eps: float, where: str) -> dict:
    """The function_jacobian probe's reply, once its forward at x ± eps·e_i gives the reference's values:
    numbers the grader checks itself, so what follows is not only the sandbox's word."""
    got = _run(cls, "function_jacobian", where, x=x, args=args, eps=eps)
    _require_tensor(got["output"], where, cls)
    if "rows" not in got:
        raise CheckFailure(f"{where}: {cls}.apply gave an output of shape {tuple(got['output']['shape'])} for an x "
                           f"of {_count(x)} entries: forward must return one value per entry of x.")
    want = _reference_data(cls, "function_jacobian", x=x, args=args, eps=eps)
    for side, sign in (("plus", "+"), ("minus", "−")):
        compare(got[side], want[side], what=f"your forward at x {sign} {eps:g}·e_i (row i)", context=where,
                rtol=1e-9, atol=1e-12, theirs=_theirs(cls))
    return got


def check_gradcheck(cls: str, points: list, args: Optional[list] = None, eps: float = 1e-6) -> None:
    """In float64 at each point: the Jacobian your backward gives equals the central differences of your
    forward (what torch.autograd.gradcheck checks, computed here), where your forward gives the reference's
    values (so the numbers are the grader's to check, not the sandbox's word); gradcheck's own verdict,
    as the sandbox reports it, can only take the points away."""
    args = list(args or [])
    for x in points:
        where = f"{cls} at x = {x} (float64)"
        got = _jacobian_run(cls, x, args, eps, where)
        if any(row is None for row in got["rows"]):
            raise CheckFailure(f"{where}: x.grad is None after backward: backward must return the gradient.")
        analytic = torch.tensor(got["rows"], dtype=torch.float64)           # [j, i] = d y_j / d x_i
        numeric = (torch.tensor(got["plus"], dtype=torch.float64)
                   - torch.tensor(got["minus"], dtype=torch.float64)).T / (2 * eps)
        compare(analytic.tolist(), numeric.tolist(), what="the Jacobian from your backward (row j: the gradient "
                "for grad_output = e_j)", context=f"{where}", rtol=1e-4, atol=1e-5,
                theirs="central differences of your forward")
        if got["gradcheck"] is not True:
            detail = "False" if got["gradcheck"] is False else got["gradcheck"]
            raise CheckFailure(f"{where}: torch.autograd.gradcheck({cls}.apply, x) returned {detail}.")


def check_in_graph(cls: str, cases: list) -> None:
    """The Function inside a small network whose other branch also uses its input: the loss and the
    gradient of every leaf equal the reference's."""
    for case in cases:
        dtype = case.get("dtype", "float64")
        kwargs = {"args": list(case.get("args", [])), "seed": case.get("seed", 0),
                  "scale": case.get("scale", 1.5), "dtype": dtype}
        args = "".join(f", {a!r}" for a in kwargs["args"])
        text = (f"in a network (h = {kwargs['scale']}·tanh(x W1 + b1); loss = Σ sin(h Wa) + ¼ Σ "
                f"({cls}.apply(h{args}) Wb)², seed {kwargs['seed']}), {dtype}")
        want = _reference_data(cls, "function_in_graph", **kwargs)
        got = _run(cls, "function_in_graph", text, **kwargs)
        where = f"{text} on {got.get('device', '?')}"
        _require_tensor(got["output"], where, cls)
        _compare_finite(got["loss"], want["loss"], what="the loss", context=where, dtype=dtype, theirs=_theirs(cls))
        for name, w in want["grads"].items():
            g = got["grads"][name]
            if g is None:
                raise CheckFailure(f"{where}: {name}.grad is None after loss.backward().")
            _compare_finite(g, w, what=f"{name}.grad", context=where, dtype=dtype, theirs=_theirs(cls))


def check_fresh_output(cls: str, cases: list) -> None:
    """forward returns a new tensor: not x itself and not a view of x (torch then forbids in-place use of
    the output), so y.mul_(c) works, leaves x alone, and backward gives c times the usual gradient."""
    for case in cases:
        dtype = case.get("dtype", "float64")
        body = {k: v for k, v in case.items() if k != "dtype"}
        got = _run(cls, "function_apply", _describe_case(cls, case, dtype, "your device"), case=body, dtype=dtype)
        where = _describe_case(cls, case, dtype, got.get("device", "?"))
        _require_tensor(got["output"], where, cls)
        if got["shares_memory"]:
            raise CheckFailure(f"{where}: the output shares memory with x (forward returned x or a view of it, "
                               f"like x.view_as(x)). Return a new tensor (x.clone()): an in-place change of the "
                               f"output must neither change x nor break backward.")
        if got.get("input_changed_by_inplace"):
            raise CheckFailure(f"{where}: changing the output in place changed x: return a new tensor.")
    check_custom_function(cls, cases)


def check_relative(cls: str, cases: list, rtol: float = 1e-6) -> None:
    """Values far below 1 (softplus(x) ≈ eˣ for x ≪ 0) must be right to relative precision, not just close
    to 0: the same comparison as check_custom_function with no absolute tolerance."""
    try:
        check_custom_function(cls, [{**case, "rtol": rtol, "atol": 0.0} for case in cases])
    except CheckFailure as failure:
        raise CheckFailure(f"{failure} The result is far below 1 here and must be right to relative precision: "
                           f"compute log(1 + t) for small t as torch.log1p(t), never 1 − (a number close to 1).")


def check_own_softplus(cls: str, x: list) -> None:
    """StableSoftplus is your own formula: a class statement subclassing Function in your answers, with a
    forward of its own (read from the source, never from the sandbox's word), that runs at x while torch's
    softplus is switched off under all its names (behaviour: calling it is flagged). No name in the source is
    judged: a helper called softplus, or a self-check against F.softplus, costs nothing."""
    try:
        _run(cls, "function_apply", f"{cls}.apply(x) on x = {x}", case={"x": x}, dtype="float64")
    except CheckFailure as failure:
        if SWITCHED_OFF_MARK in str(failure):
            raise IntegrityFlag("uses-torch-softplus", f"{cls} uses torch's own softplus ({failure})")
        raise
    sources = student().sources(cls)
    problem = subclass_in_source(sources, cls, ["Function"]) or written_in_source(sources, cls, ["forward"])
    if problem:
        raise CheckFailure(f"{problem}: write class {cls}(torch.autograd.Function) with forward and backward.")
