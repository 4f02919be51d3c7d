"""What each probe's reply must look like, before any check reads it.

The sandbox's answers are data from a process the student's code controls: before a check sees
one, it must have exactly the shape the probe returns for those arguments (`check_reply`), so a
tampered sandbox that answers with, say, an empty trajectory fails instead of passing vacuously.
"""

import inspect
from typing import Any, Optional

from ..checks import core, import_all


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _nested_shape(value: Any) -> Optional[list]:
    """The shape of a rectangular nested list of numbers (a tensor's `tolist()`), else None."""
    if _is_number(value):
        return []
    if not isinstance(value, list):
        return None
    shapes = [_nested_shape(v) for v in value]
    if any(s is None for s in shapes) or any(s != shapes[0] for s in shapes[1:]):
        return None
    if not shapes:
        return [0]
    return [len(value), *shapes[0]]


def _strings(value: Any, n: Optional[int] = None) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value) and (n is None or len(value) == n)


def _shape_optimizer_run(args: dict, data: dict) -> Optional[str]:
    shapes = [list(s) for g in args["groups"] for s in g["shapes"]]
    steps, n = int(args["steps"]), len(shapes)

    def params_ok(entry: Any, allow_none: bool) -> bool:
        return isinstance(entry, list) and len(entry) == n and all(
            (allow_none and v is None) or _nested_shape(v) == s for v, s in zip(entry, shapes))

    trajectory = data.get("trajectory")
    if not isinstance(trajectory, list) or len(trajectory) != steps:
        return f"the trajectory should have {steps} steps"
    if not all(params_ok(entry, False) for entry in trajectory):
        return f"each step should hold {n} parameters of shapes {shapes}"
    grads = data.get("grads")
    if not isinstance(grads, list) or len(grads) != (steps if args.get("check_grads") else 0) \
            or not all(params_ok(entry, True) for entry in grads):
        return "the gradients do not match the steps and parameters"
    returned = data.get("returned")
    if not isinstance(returned, list) or len(returned) != steps \
            or not all(r is None or _is_number(r) or isinstance(r, str) for r in returned):
        return f"there should be {steps} return values"
    losses = data.get("losses")
    if not isinstance(losses, list) or len(losses) != (steps if args.get("closure") else 0) \
            or not all(v is None or _is_number(v) for v in losses):
        return "the losses do not match the steps"
    if not (_strings(data.get("dtypes"), n) and _strings(data.get("devices"), n)
            and isinstance(data.get("device"), str) and _strings(data.get("torch_calls"))):
        return "dtypes, devices or torch calls malformed"
    return None


def _shape_optimizer_construct(args: dict, data: dict) -> Optional[str]:
    raised = data.get("raised")
    if raised is None:
        group = data.get("group")
        if not isinstance(group, dict) or not all(isinstance(k, str) for k in group):
            return "no parameter group"
        return None
    if not isinstance(raised, str) or not isinstance(data.get("message"), str):
        return "malformed exception"
    return None


def _shape_class_info(args: dict, data: dict) -> Optional[str]:
    if not isinstance(data.get("is_class"), bool) or not _strings(data.get("mro")):
        return "malformed class information"
    return None


# Probes whose answers are checked field by field (the probes the optimizer chapters use). Every
# other probe's answer must still be a JSON object; its checks compare it with the reference.
REPLY_SHAPES = {
    "optimizer_run": _shape_optimizer_run,
    "optimizer_construct": _shape_optimizer_construct,
    "class_info": _shape_class_info,
}


def check_reply(name: str, kwargs: dict, data: Any) -> Optional[str]:
    """Why `data` cannot be what probe `name` returns for `kwargs` (None: it can be)."""
    shape = REPLY_SHAPES.get(name)
    if shape is None:
        return None
    if not isinstance(data, dict):
        return "not a JSON object"
    import_all()  # every probe registered: an unknown name must not pass for want of its module
    try:  # the probe's arguments with its own defaults filled in (the grader has the same module)
        bound = inspect.signature(core.PROBES[name]).bind(None, **kwargs)
        bound.apply_defaults()
        args = dict(bound.arguments)
    except (KeyError, TypeError):
        return None
    try:
        return shape(args, data)
    except (KeyError, TypeError, ValueError) as error:
        return f"unexpected content ({type(error).__name__})"
