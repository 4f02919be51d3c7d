"""Every probe's reply contract, checked before any check reads a reply.

The sandbox's answers are data from a process the student's code controls. Each probe has a contract
here, derived from its request (with the probe's own defaults filled in): the exact keys, the type
of every value, every length the probe itself decides (steps, epochs, parameters, groups: taken
from the request, so that no check iterates over a length the student chose), and a bound on every
length the student's code decides (a tensor of a wrong shape, a list of names), with the reply's
size in bytes bounded by the same numbers (`budget`). A reply that breaks its contract fails its test
and flags `sandbox-tampering` (session.py): an honest probe never sends one (tests/unit/test_replies.py
runs every probe of the solutions and of wrong submissions through these contracts).

A probe without a contract is an error of the grading code: its replies are refused.
"""

import inspect
import math
from typing import Any, Callable, Optional

from ..checks import core, import_all
from ..checks.core import REPLY_TEXT, student_limit


class Broken(Exception):
    """The reply breaks its contract; the message says where."""


# ---- the pieces of a contract -----------------------------------------------------------------------

def number(v: Any, where: str) -> None:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise Broken(f"{where}: not a number")


def integer(v: Any, where: str, low: int = 0) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise Broken(f"{where}: not an integer ≥ {low}")


def flag(v: Any, where: str) -> None:
    if not isinstance(v, bool):
        raise Broken(f"{where}: not a bool")


def text(v: Any, where: str, most: int = REPLY_TEXT) -> None:
    if not isinstance(v, str) or len(v) > most:
        raise Broken(f"{where}: not a string of at most {most} characters")


def maybe(check: Callable[..., None]) -> Callable[..., None]:
    def check_or_none(v: Any, where: str, *args: Any) -> None:
        if v is not None:
            check(v, where, *args)
    return check_or_none


def items(v: Any, where: str, each: Callable[[Any, str], None], n: Optional[int] = None,
          most: Optional[int] = None) -> None:
    """A list of exactly `n` entries (a length the probe decides) or at most `most` (one the student's
    code decides), each checked by `each`."""
    if not isinstance(v, list):
        raise Broken(f"{where}: not a list")
    if n is not None and len(v) != n:
        raise Broken(f"{where}: {len(v)} entries, not {n}")
    if most is not None and len(v) > most:
        raise Broken(f"{where}: more than {most} entries")
    for i, entry in enumerate(v):
        each(entry, f"{where}[{i}]")


def record(v: Any, where: str, required: dict[str, Callable[[Any, str], None]],
           optional: Optional[dict[str, Callable[[Any, str], None]]] = None) -> None:
    """A JSON object with every `required` key, perhaps some `optional` ones, and nothing else."""
    if not isinstance(v, dict):
        raise Broken(f"{where}: not an object")
    optional = optional or {}
    missing = [k for k in required if k not in v]
    extra = [k for k in v if k not in required and k not in optional]
    if missing or extra:
        raise Broken(f"{where}: keys missing {missing[:3]} or unexpected {[str(k)[:40] for k in extra[:3]]}")
    for key, value in v.items():
        (required.get(key) or optional[key])(value, f"{where}.{key}")


def tensor(v: Any, where: str, shape: list) -> None:
    """A tensor's `tolist()` of exactly this shape (numbers, NaN and ±inf included)."""
    if not shape:
        number(v, where)
        return
    items(v, where, lambda entry, at: tensor(entry, at, shape[1:]), n=shape[0])


def shape_of(v: Any, where: str, most: int, depth: int = 8) -> list:
    """A list of at most `depth` sizes whose product is at most `most` (a shape the student's code chose)."""
    items(v, where, lambda s, at: integer(s, at), most=depth)
    if math.prod(v) > most:
        raise Broken(f"{where}: {math.prod(v)} entries, more than {most}")
    return v


def tensor_facts(v: Any, where: str, expected: int, extra: Optional[dict] = None) -> None:
    """What `_tensor_info` (descent) sends: a non-tensor's type, or a tensor's values (None when it has
    more entries than the probe sends: student_limit), dtype, shape, device and requires_grad."""
    if isinstance(v, dict) and v.get("tensor") is False:
        record(v, where, {"tensor": flag, "type": text})
        return
    limit = student_limit(expected)
    record(v, where, {"tensor": flag, "values": lambda x, at: None, "dtype": text, "shape": lambda x, at: None,
                      "device": text, "requires_grad": flag}, extra)
    shape = shape_of(v["shape"], f"{where}.shape", 2**40)
    if math.prod(shape) <= limit or v["values"] is not None:
        tensor(v["values"], f"{where}.values", shape)
        shape_of(shape, f"{where}.shape", limit)


def output_facts(v: Any, where: str) -> None:
    """What autograd's `_output_facts` sends about a Function's output."""
    if isinstance(v, dict) and v.get("tensor") is False:
        record(v, where, {"tensor": flag, "type": text})
        return
    record(v, where, {"tensor": flag, "dtype": text, "shape": lambda s, at: shape_of(s, at, 2**40),
                      "device": text, "requires_grad": flag, "grad_fn": maybe(text)})


def calls(most: int) -> Callable[[Any, str], None]:
    return lambda v, where: items(v, where, text, most=most)


# ---- the contracts, by probe ----------------------------------------------------------------------

def _class_info(a: dict, d: Any) -> None:
    record(d, "reply", {"is_class": flag, "mro": calls(64)})


def _optimizer_run(a: dict, d: Any) -> None:
    shapes = [list(s) for g in a["groups"] for s in g["shapes"]]
    steps, n = int(a["steps"]), len(shapes)
    def params(v: Any, where: str, none_ok: bool = False) -> None:
        items(v, where, lambda p, at: None, n=n)
        for j, (p, s) in enumerate(zip(v, shapes)):
            if not (none_ok and p is None):
                tensor(p, f"{where}[{j}]", s)

    record(d, "reply", {
        "trajectory": lambda v, w: items(v, w, params, n=steps),
        "grads": lambda v, w: items(v, w, lambda p, at: params(p, at, True), n=steps if a.get("check_grads") else 0),
        "returned": lambda v, w: items(v, w, lambda r, at: r is None or isinstance(r, str) and text(r, at)
                                       or number(r, at), n=steps),
        "losses": lambda v, w: items(v, w, maybe(number), n=steps if a.get("closure") else 0),
        "dtypes": lambda v, w: items(v, w, text, n=n), "devices": lambda v, w: items(v, w, text, n=n),
        "device": text, "torch_calls": calls(64)})


def _setting(v: Any, where: str) -> None:
    """A value of a param group as optimizer_construct sends it: a number, a bool, None, a short text
    or a short list of numbers (betas)."""
    if v is None or isinstance(v, (bool, int, float)):
        return
    if isinstance(v, list):
        items(v, where, number, most=16)
        return
    text(v, where)


def _named(v: Any, where: str, each: Callable[[Any, str], None], n: Optional[int] = None, most: int = 64) -> None:
    """An object of exactly `n` (or at most `most`) entries named by short strings, each checked by `each`."""
    if not isinstance(v, dict) or (n is not None and len(v) != n) or len(v) > most \
            or not all(isinstance(k, str) and len(k) <= REPLY_TEXT for k in v):
        raise Broken(f"{where}: not {n if n is not None else f'at most {most}'} named entries")
    for key, value in v.items():
        each(value, f"{where}.{key[:40]}")


def _optimizer_construct(a: dict, d: Any) -> None:
    if isinstance(d, dict) and d.get("raised") is not None:
        record(d, "reply", {"raised": text, "message": lambda v, w: text(v, w, 2000)})
        return
    record(d, "reply", {"raised": lambda v, w: None, "group": lambda v, w: _named(v, w, _setting)})


def _case_shape(case: dict) -> list:
    if case.get("x") is not None:
        shape, v = [], case["x"]
        while isinstance(v, list):
            shape.append(len(v))
            v = v[0] if v else None
        return shape
    return list(case.get("shape", [3]))


def _function_apply(a: dict, d: Any) -> None:
    shape = _case_shape(a["case"])
    n = math.prod(shape)
    if isinstance(d, dict) and set(d) == {"output"}:  # an output of another kind or size: its facts alone
        output_facts(d["output"], "reply.output")
        return
    grad = lambda v, w: maybe(tensor)(v, w, shape)  # noqa: E731  (x.grad has x's shape: torch's rule)
    record(d, "reply", {"output": output_facts, "forward": lambda v, w: None, "device": text,
                        "shares_memory": flag, "input_changed_by_forward": flag},
           {"inplace_error": text, "input_changed_by_inplace": flag, "grad": grad, "grad_arg_changed": flag,
            "input_changed_by_backward": flag, "grad_again": grad})
    if d["output"].get("tensor") is False:
        raise Broken("reply: values of an output that is not a tensor")
    tensor(d["forward"], "reply.forward", shape_of(d["output"]["shape"], "reply.output.shape", student_limit(n)))
    if "inplace_error" not in d and "grad" not in d:
        raise Broken("reply: neither a gradient nor an in-place error")


_GRAPH_SHAPES = {"x": [4, 3], "W1": [3, 5], "b1": [5], "Wa": [5, 2], "Wb": [5, 2]}


def _function_in_graph(a: dict, d: Any) -> None:
    if isinstance(d, dict) and set(d) == {"output"}:  # an output of another kind or size: its facts alone
        output_facts(d["output"], "reply.output")
        return
    grads = {k: (lambda v, w, s=s: maybe(tensor)(v, w, s)) for k, s in _GRAPH_SHAPES.items()}
    record(d, "reply", {"output": output_facts, "loss": number, "device": text,
                        "grads": lambda v, w: record(v, w, grads)})


def _flat(x: Any) -> int:
    return sum(_flat(v) for v in x) if isinstance(x, list) else 1


def _function_jacobian(a: dict, d: Any) -> None:
    n = _flat(a["x"])
    if isinstance(d, dict) and set(d) == {"output"}:  # an output of another kind or size: its facts alone
        output_facts(d["output"], "reply.output")
        return
    record(d, "reply", {"output": lambda v, w: record(v, w, {"tensor": flag}),
                        "rows": lambda v, w: items(v, w, lambda r, at: maybe(tensor)(r, at, [n]), n=n),
                        "plus": lambda v, w: None, "minus": lambda v, w: None,
                        "gradcheck": lambda v, w: isinstance(v, bool) or text(v, w, 300)})
    m = len(d["plus"][0]) if isinstance(d["plus"], list) and d["plus"] and isinstance(d["plus"][0], list) else 0
    if m > student_limit(n):
        raise Broken(f"reply.plus: {m} values per point, more than {student_limit(n)}")
    tensor(d["plus"], "reply.plus", [n, m])
    tensor(d["minus"], "reply.minus", [n, m])


def _function_graph(a: dict, d: Any) -> None:
    saved = lambda v, w: items(v, w, lambda s, at: record(s, at, {  # noqa: E731
        "shape": lambda x, y: shape_of(x, y, 2**40), "is_x": flag, "is_y": flag}), most=32)
    record(d, "reply", {"is_class": flag},
           {"mro": calls(64), "is_function": flag, "overrides_apply": flag, "output": output_facts,
            "overrides": lambda v, w: record(v, w, {"forward": flag, "backward": flag}),
            "saved": saved, "ctx_tensors": calls(64)})


def _gd_step_run(a: dict, d: Any) -> None:
    shape, k = list(a["shape"]), int(a["calls"])
    n = math.prod(shape)
    anything = lambda v, w: tensor(v, w, _rectangular(v, w, student_limit(n)))  # noqa: E731
    record(d, "reply", {
        "init": lambda v, w: tensor(v, w, shape),
        "grads": lambda v, w: items(v, w, lambda g, at: tensor(g, at, shape), n=k),
        "values": lambda v, w: items(v, w, anything, n=k),
        "grads_after": lambda v, w: items(v, w, maybe(anything), n=k),
        "leaf": lambda v, w: items(v, w, flag, n=k), "requires_grad": lambda v, w: items(v, w, flag, n=k),
        "dtypes": lambda v, w: items(v, w, text, n=k), "devices": lambda v, w: items(v, w, text, n=k),
        "device": text, "torch_calls": calls(64)})


def _rectangular(v: Any, where: str, most: int) -> list:
    """The shape of a nested list (as its first entries say; tensor() then checks every entry)."""
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        if len(shape) > 8:
            raise Broken(f"{where}: nested deeper than 8")
        v = v[0] if v else None
    return shape_of(shape, where, most)


def _gd_path_run(a: dict, d: Any) -> None:
    expected = (int(a["steps"]) + 1) * 2
    record(d, "reply", {"result": lambda v, w: tensor_facts(v, w, expected), "device": text,
                        "start": lambda v, w: tensor(v, w, [len(a["start"])]), "start_changed": flag,
                        "start_requires_grad": flag, "start_grad": flag, "torch_calls": calls(64)})


def _gd_many_run(a: dict, d: Any) -> None:
    n = int(a["n"])
    expected = (int(a["steps"]) + 1) * n * 2
    record(d, "reply", {"result": lambda v, w: tensor_facts(v, w, expected), "device": text,
                        "starts": lambda v, w: tensor(v, w, [n, 2]), "start_changed": flag,
                        "start_requires_grad": flag, "start_grad": flag, "torch_calls": calls(64),
                        "partial_calls": lambda v, w: items(v, w, lambda s, at: shape_of(s, at, 2**40), most=5),
                        "f_calls": integer, "ops": integer})


def _gd_hand_gradient(a: dict, d: Any) -> None:
    shape = list(a["shape"])
    n = math.prod(shape)
    record(d, "reply", {"x": lambda v, w: tensor(v, w, shape), "result": lambda v, w: tensor_facts(v, w, n),
                        "input_changed": flag, "autograd": flag})


def _gd_reached(a: dict, d: Any) -> None:
    n = len(a["endpoints"])
    record(d, "reply", {"result": lambda v, w: tensor_facts(v, w, n, {"integer": flag}), "inputs_changed": flag})


def _lr(v: Any, where: str) -> None:
    """An lr as scheduler_run sends it: a number, or the repr of what was there instead."""
    if not isinstance(v, str):
        number(v, where)
    else:
        text(v, where)


def _scheduler_run(a: dict, d: Any) -> None:
    groups, rows, k = len(a["lrs"]), int(a["epochs"]) + 1, len(a["schedulers"])
    last = lambda v, w: items(v, w, _lr, most=student_limit(groups)) if isinstance(v, list) else text(v, w)  # noqa: E731
    record(d, "reply", {"lrs": lambda v, w: items(v, w, lambda r, at: items(r, at, _lr, n=groups), n=rows),
                        "last_lrs": lambda v, w: items(v, w, lambda r, at: items(r, at, last, n=k),
                                                       n=rows if a.get("last_lr", True) else 0),
                        "torch_calls": calls(256)})


def _symmetry_build(a: dict, d: Any) -> None:
    expected = int(a["n_inputs"]) * int(a["sizes"][-1])
    if isinstance(d, dict) and d.get("module") is not None:
        record(d, "reply", {"module": text})
        return
    param = lambda v, w: record(v, w, {"name": text, "shape": lambda s, at: shape_of(s, at, 2**40),  # noqa: E731
                                       "min": number, "max": number, "trainable": flag})
    record(d, "reply", {"module": lambda v, w: None, "params": lambda v, w: items(v, w, param, most=64),
                        "outputs": lambda v, w: None, "device": text})
    tensor(d["outputs"], "reply.outputs", _rectangular(d["outputs"], "reply.outputs", student_limit(expected)))


def _symmetry_report(a: dict, d: Any) -> None:
    def report(v: Any, where: str) -> None:  # the student's dict: its names and values as it chose them
        if v is not None:
            _named(v, where, lambda x, at: isinstance(x, bool) or text(x, at))

    record(d, "reply", {"report": report, "type": text, "device": text})


CONTRACTS: dict[str, Callable[[dict, Any], None]] = {
    "class_info": _class_info,
    "optimizer_run": _optimizer_run,
    "optimizer_construct": _optimizer_construct,
    "function_apply": _function_apply,
    "function_in_graph": _function_in_graph,
    "function_jacobian": _function_jacobian,
    "function_graph": _function_graph,
    "gd_step_run": _gd_step_run,
    "gd_path_run": _gd_path_run,
    "gd_many_run": _gd_many_run,
    "gd_hand_gradient": _gd_hand_gradient,
    "gd_reached": _gd_reached,
    "scheduler_run": _scheduler_run,
    "symmetry_build": _symmetry_build,
    "symmetry_report": _symmetry_report,
}

NUMBER_BYTES = 26  # the longest float JSON writes ("-2.2250738585072014e-308, ")
SLACK = 256 * 1024  # keys, flags and bounded strings of any reply


def arguments(name: str, kwargs: dict) -> dict:
    """The probe's arguments with its own defaults filled in (the grader has the same module)."""
    import_all()  # every probe registered: an unknown name must not pass for want of its module
    bound = inspect.signature(core.PROBES[name]).bind(None, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def budget(name: str, kwargs: dict) -> int:
    """The most bytes an honest reply to this request takes (replies are refused beyond it, unread)."""
    numbers = {"optimizer_run": lambda a: 3 * int(a["steps"]) * sum(
                   math.prod(s) for g in a["groups"] for s in g["shapes"]),
               "function_apply": lambda a: 4 * student_limit(math.prod(_case_shape(a["case"]))),
               "function_jacobian": lambda a: 3 * student_limit(_flat(a["x"])) * _flat(a["x"]),
               "gd_step_run": lambda a: (2 + 3 * int(a["calls"])) * student_limit(math.prod(a["shape"])),
               "gd_path_run": lambda a: student_limit((int(a["steps"]) + 1) * 2) + 2,
               "gd_many_run": lambda a: student_limit((int(a["steps"]) + 1) * int(a["n"]) * 2) + 2 * int(a["n"]),
               "gd_hand_gradient": lambda a: 2 * student_limit(math.prod(a["shape"])),
               "gd_reached": lambda a: student_limit(len(a["endpoints"])),
               "scheduler_run": lambda a: (int(a["epochs"]) + 1) * (len(a["lrs"]) + len(a["schedulers"])
                                                                     * student_limit(len(a["lrs"]))),
               "symmetry_build": lambda a: student_limit(int(a["n_inputs"]) * int(a["sizes"][-1])) + 256,
               "function_in_graph": lambda a: 64}
    try:
        count = numbers.get(name, lambda a: 0)(arguments(name, kwargs))
    except (KeyError, TypeError, ValueError):
        count = 0
    return SLACK + NUMBER_BYTES * count


def check_reply(name: str, kwargs: dict, data: Any) -> Optional[str]:
    """Why `data` cannot be what probe `name` returns for `kwargs` (None: it can be)."""
    contract = CONTRACTS.get(name)
    if contract is None:
        return f"no reply contract for the probe {name!r}"
    if not isinstance(data, dict):
        return "not a JSON object"
    try:
        args = arguments(name, kwargs)
    except (KeyError, TypeError):
        return f"a request the probe {name!r} does not take"
    try:
        contract(args, data)
    except Broken as broken:
        return str(broken)[:300]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as error:
        return f"unexpected content ({type(error).__name__})"
    return None
