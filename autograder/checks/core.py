"""What every chapter's tests share: probes, the student runner, comparisons and messages.

A *probe* runs a piece of the student's code and returns plain data (numbers, lists, strings).
A *check* runs a probe on the student's code and on a reference, compares the data and raises
`CheckFailure` with a message a student can act on.

The probe on the student's side goes through `student()`: in a notebook (Colab, nbgrader
validate) that is the code in this very process; in the autograder it is a sandboxed process
that answers over a pipe, so nothing the student's code does can touch the comparison.

This module is inlined into the student notebooks: it may import only the standard library,
numpy and torch, and the chapter modules import from it in one line (`from .core import ...`).
"""

import ast
import json
import math
import pkgutil
import re
import traceback
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np
import torch

PROBES: dict[str, Callable[..., Any]] = {}

# Every optimizer torch.optim ships and their fused kernels (the base class, the schedulers, SWA's
# averaging and the state utilities aside; `_multi_tensor` only renames the classes of the others):
# the family the optimizer and gradient-descent chapters grade, switched off whole in their sandboxes,
# because any of them is gradient descent under another name (RMSprop with alpha=1, eps=1 and ASGD
# with lambd=0, alpha=0 take exactly the step θ − lr·g).
TORCH_OPTIMIZERS = sorted(f"torch.optim.{m.name}" for m in pkgutil.iter_modules(torch.optim.__path__)
                          if m.name not in {"optimizer", "lr_scheduler", "swa_utils", "_stateless", "_multi_tensor"})
TORCH_OPTIMIZER_KERNELS = ["aten._fused_adam_", "aten._fused_adamw_", "aten._fused_sgd_", "aten._fused_adagrad_"]

# Calls into torch's own implementations of the graded algorithms, counted while grading.
# Each chapter module registers the dotted paths it must not be built on.
TRIPWIRES: dict[str, int] = {}

# In the message of every stub that stands in for torch's own implementation of a graded algorithm
# while grading (autograder/switch_off.py): a check that meets it knows the code called torch's.
SWITCHED_OFF_MARK = "is switched off while grading"


# What a probe sends must fit its reply contract (autograder/grading/replies.py): texts (type names,
# class names, reprs) at most REPLY_TEXT characters, and a tensor whose size the student's code chose
# with its values only up to student_limit(the expected size) entries (beyond it, its shape alone).
REPLY_TEXT = 200


def student_limit(expected: int) -> int:
    """The most values a probe sends of a tensor of the student's making, `expected` being its right size."""
    return 16 * int(expected) + 1024


def clip(value: Any, most: int = REPLY_TEXT) -> str:
    """A text for a reply: `str(value)`, cut to fit its contract."""
    return str(value)[:most]


def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register `fn(namespace, **kwargs) -> data` as a probe that a check can run remotely."""
    PROBES[fn.__name__] = fn
    return fn


class CheckFailure(AssertionError):
    """A test found the student's code wrong; the message says where and how."""


class IntegrityFlag(CheckFailure):
    """The graded code is built on torch's own implementation of what it should implement."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(message)
        self.flag = flag


class ProbeError(Exception):
    """The student's code raised (or crashed) while a probe ran it."""

    def __init__(self, kind: str, message: str, where: str = "") -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.message, self.where = kind, message, where

    def describe(self) -> str:
        text = explain(self.kind, self.message)
        return f"{text} ({self.where})" if self.where else text


def explain(kind: str, message: str) -> str:
    """An exception from the student's code as one line, with a hint where one helps."""
    if kind == "NotImplementedError":
        return "NotImplementedError (not written yet: replace `raise NotImplementedError()` with your code)"
    return f"{kind}: {message}"


def _student_frame(tb: Any) -> str:
    """The innermost frame of the traceback that belongs to notebook code, as 'line N: code'."""
    found = ""
    for frame in traceback.extract_tb(tb):
        if "ipykernel" in frame.filename or frame.filename.startswith("<"):
            found = f"line {frame.lineno} of your cell: {(frame.line or '').strip()}"
    return found


def run_probe(namespace: dict, name: str, kwargs: dict) -> Any:
    """Run a registered probe and return its data after a JSON round trip (as a remote run would)."""
    try:
        result = PROBES[name](namespace, **kwargs)
    except ProbeError:
        raise
    except Exception as error:  # the student's code raised: report it, do not crash the tests
        raise ProbeError(type(error).__name__, str(error), _student_frame(error.__traceback__))
    return json.loads(json.dumps(result))


@probe
def class_info(namespace: dict, cls: str) -> dict:
    """Where the class comes from: its bases, by module and name (for the own-work checks)."""
    if cls not in namespace:
        raise ProbeError("NameError", f"{cls} is not defined: run the cell that defines it first")
    klass = namespace[cls]
    if not isinstance(klass, type):
        return {"is_class": False, "mro": []}
    return {"is_class": True, "mro": [clip(f"{k.__module__}.{k.__qualname__}") for k in klass.__mro__[:64]]}


class LocalStudent:
    """The student's code in this process: the notebook's own globals."""

    def __init__(self, namespace: Optional[dict] = None) -> None:
        self._namespace = namespace

    @property
    def namespace(self) -> dict:
        if self._namespace is not None:
            return self._namespace
        import __main__

        return vars(__main__)

    def probe(self, name: str, **kwargs: Any) -> Any:
        return run_probe(self.namespace, name, kwargs)

    def sources(self, name: str) -> list[str]:
        """Source code the student wrote for `name` (for the own-work checks): the notebook's cells that
        define it at their top level, from IPython's history of inputs (`In`: inspect cannot find a class
        defined in a notebook cell), else what inspect finds."""
        history = self.namespace.get("In")
        if isinstance(history, list):
            found = [cell for cell in history if isinstance(cell, str) and name in _top_level_names(cell)]
            if found:
                return found[-1:]  # the latest definition is the one that runs
        import inspect

        try:
            return [inspect.getsource(self.namespace[name])]
        except Exception:
            return []


_STUDENT: list = [None]


def student() -> Any:
    """The runner that executes the student's code: local unless the autograder installed one."""
    if _STUDENT[0] is None:
        _STUDENT[0] = LocalStudent()
    return _STUDENT[0]


def use_student(runner: Any) -> None:
    """Install the runner the checks use (the autograder's sandboxed process, or a test's)."""
    _STUDENT[0] = runner


_REFERENCE_CACHE: dict[str, Any] = {}


# In a student notebook: the reference data of its visible tests, precomputed by the build, for the
# chapters whose reference code does what the students write (a module's `<NAME>_NOT_HANDED_OUT`):
# that code is not in the notebook, only what it computed. Empty in the grader, which computes it all.
PRECOMPUTED: dict[str, Any] = {}


def trusted(label: str, compute: Callable[..., Any], **kwargs: Any) -> Any:
    """Data the grader computes itself (`compute(**kwargs)`: a reference run, a model built and trained),
    cached: every submission needs the same data. Precomputed where the notebook holds it instead."""
    key = json.dumps([label, kwargs], sort_keys=True)
    if key in PRECOMPUTED:
        return PRECOMPUTED[key]
    if key not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[key] = compute(**kwargs)
    return _REFERENCE_CACHE[key]


def reference(label: str, namespace: dict, name: str, **kwargs: Any) -> Any:
    """Run a probe on reference code (torch's own, or the grader's), cached (see `trusted`)."""
    return trusted(f"{label}: {name}", lambda **kw: run_probe(namespace, name, kw), **kwargs)


def pick_device(device: str = "auto") -> torch.device:
    """'auto' is the GPU when there is one (Colab, a GPU grader), else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


DTYPES = {"float32": torch.float32, "float64": torch.float64}
# float64 is compared tightly; torch keeps some of its own scalars in float32 (NAdam's
# mu_product), so an exact implementation differs from it by ~1e-9 after 100 steps.
TOLERANCES = {"float64": (1e-7, 1e-8), "float32": (2e-4, 1e-5)}


def to_data(value: Any) -> Any:
    """Tensors and numbers as plain float lists (what crosses the sandbox boundary)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).tolist()
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    return float(value)


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def format_pair(a: float, b: float, least: int = 6) -> tuple[str, str]:
    """`a` and `b` printed with the same number of significant digits, as few as make them differ
    (at least `least`, at most 17: two different doubles always print differently then)."""
    a, b = float(a), float(b)
    for digits in range(least, 18):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb or a == b or (math.isnan(a) and math.isnan(b)):
            return sa, sb
    return sa, sb


def relative_error(got: float, want: float) -> float:
    """|got − want| / |want| (inf when want is 0 and got is not; 0 when both are equal)."""
    got, want = float(got), float(want)
    if got == want or (math.isnan(got) and math.isnan(want)):
        return 0.0
    if math.isnan(got) or math.isnan(want):
        return math.inf
    return abs(got - want) / abs(want) if want != 0 else math.inf


def compare(got: Any, want: Any, *, what: str, context: str, dtype: str = "float64",
            rtol: Optional[float] = None, atol: Optional[float] = None,
            theirs: str = "expected") -> None:
    """Raise CheckFailure naming `context` and `what` when `got` and `want` differ: the entry with
    the largest error, both values printed with enough digits to differ, the error and the relative
    error, and how many entries differ."""
    default_rtol, default_atol = TOLERANCES[dtype]
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailure(f"{context}: {what} should be numbers, got {str(got)[:80]}")
    w = np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        raise CheckFailure(f"{context}: {what} has shape {tuple(g.shape)}, {theirs} {tuple(w.shape)}.")
    bad = differing(g, w, rtol, atol)
    if not bad.any():
        return
    with np.errstate(invalid="ignore"):
        err = np.where(np.isnan(g) & np.isnan(w), 0.0, np.abs(g - w))
    index = np.unravel_index(int(np.argmax(np.where(bad, np.nan_to_num(err, nan=np.inf), -1.0))), g.shape)
    at = f" at entry {list(map(int, index))}" if g.ndim else ""
    mine, expected = format_pair(g[index], w[index])
    rel = relative_error(g[index], w[index])
    relative = f", relative error {rel:.2g}" if math.isfinite(rel) else ""
    raise CheckFailure(
        f"{context}: {what} differs{at}: yours {mine}, {theirs} {expected} "
        f"(error {_fmt(err[index])}{relative}; tolerance {atol:g} + {rtol:g}·|{theirs}|; "
        f"{int(bad.sum())} of {bad.size} entries differ)."
    )


def differing(g: Any, w: Any, rtol: float, atol: float) -> np.ndarray:
    """Which entries of `g` differ from `w` beyond atol + rtol·|w| (NaN only matches NaN, inf only
    the same inf)."""
    g, w = np.asarray(g, dtype=np.float64), np.asarray(w, dtype=np.float64)
    bad_nan = np.isnan(g) != np.isnan(w)
    with np.errstate(invalid="ignore"):
        err = np.where(np.isnan(g) & np.isnan(w), 0.0, np.abs(g - w))
        err = np.where(np.isinf(g) & np.isinf(w) & (np.sign(g) == np.sign(w)), 0.0, err)
        bad = bad_nan | (err > atol + rtol * np.abs(w))
        return bad | ((np.isinf(g) | np.isinf(w)) & (err != 0))  # an infinite reference: only the same inf


def describe(options: dict) -> str:
    """Hyper-parameters as a student would write them: lr=0.1, betas=(0.8, 0.99)."""
    return ", ".join(f"{k}={tuple(v) if isinstance(v, list) else v!r}" for k, v in options.items())


_DOTTED = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_.]*\s*$")


def forbidden_uses(sources: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """Names from `forbidden` that the student's source uses: as an attribute or an import (any case:
    `torch.optim.adam.adam`), or as a bare name or a string naming it exactly (`getattr(optim, "Adam")`).
    A variable `adam` or a file name "adam.ipynb" is not a use of torch's Adam."""
    exact = set(forbidden)
    banned = {f.lower() for f in forbidden}
    hits: set[str] = set()
    for tree in _trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in exact:
                hits.add(node.id)
            elif isinstance(node, ast.Attribute) and node.attr.lower() in banned:
                hits.add(node.attr)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                words = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                hits.update(p for w in words for p in w.split(".") if p.lower() in banned)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.match(node.value):
                hits.update(p for p in node.value.strip().split(".") if p in exact)
    return sorted(hits)


def _trees(sources: Iterable[str]) -> Iterator[ast.Module]:
    """Each source parsed; one that is no Python (a syntax error, too deep) is skipped: it defines nothing."""
    for source in sources:
        try:
            yield ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            continue


def _top_level_names(source: str) -> set[str]:
    """The names a cell binds at its top level (classes, functions, assignments, imports). The twin of
    `submission.screening.top_level_names`, which the grader uses: this module is inlined into notebooks
    and imports nothing of the package (tests/unit/test_screening.py holds the two to the same answers)."""
    names: set[str] = set()
    for tree in _trees([source]):
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _dotted(node: Any) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _written(node: Any) -> bool:
    """A function whose body is more than a docstring, `pass`, `...` or `raise NotImplementedError` (the template)."""
    for stmt in node.body:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.dump(stmt):
            continue
        return True
    return False


def written_in_source(sources: Iterable[str], name: str, methods: Iterable[str] = ()) -> Optional[str]:
    """Why the submitted source holds no code of its own for `name` (None: it does): a function `name`, or a
    class `name` with one of `methods`, whose body is more than the template's `raise NotImplementedError()`.
    Parsed, never run: that the graded code is there cannot be taken from the sandbox's word."""
    wanted = set(methods)
    for tree in _trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name and _written(node):
                return None
            if isinstance(node, ast.ClassDef) and node.name == name and any(
                    isinstance(m, ast.FunctionDef) and m.name in wanted and _written(m) for m in node.body):
                return None
    what = f"{name}'s {' or '.join(sorted(wanted))}" if wanted else name
    return f"your answers hold no code of your own for {what} yet"


def subclass_in_source(sources: Iterable[str], cls: str, bases: Iterable[str]) -> Optional[str]:
    """Why the submitted source does not define `cls` by a class statement whose bases lead to one of torch's
    `bases` (by their last name: Optimizer, LRScheduler...), through the classes and names it defines itself
    (None: it does). Parsed, never run: what a class is cannot be taken from the sandbox's word."""
    wanted = set(bases)
    classes: dict[str, list] = {}
    names: dict[str, str] = {}  # a name the source binds -> the dotted name it stands for
    for tree in _trees(sources):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.setdefault(node.name, []).extend(_dotted(b) or "?" for b in node.bases)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                names[node.targets[0].id] = _dotted(node.value) or "?"

    def leads(name: str, seen: frozenset) -> bool:
        head, _, rest = name.partition(".")
        if head in seen:
            return False
        if head in classes and not rest:
            return any(leads(b, seen | {head}) for b in classes[head])
        if head in names:
            return leads(names[head] + (f".{rest}" if rest else ""), seen | {head})
        return name.rpartition(".")[2] in wanted and head not in classes

    if cls not in classes:
        return f"{cls} is not defined by a class statement in your answers"
    if not any(leads(b, frozenset({cls})) for b in classes[cls]):
        return f"{cls} is not a subclass of {' or '.join(sorted(wanted))} (class {cls}({', '.join(classes[cls])}))"
    return None


def _imported_words(node: Any) -> dict[str, list[str]]:
    """The names an import binds, each with the dotted words it stands for."""
    out = {}
    for alias in node.names:
        module = (node.module or "").split(".") if isinstance(node, ast.ImportFrom) else []
        out[alias.asname or alias.name.split(".")[0]] = module + alias.name.split(".")
    return out


def uses_in_source(sources: Iterable[str], owner: str, names: Iterable[str]) -> list[str]:
    """Which of `names` the code of `owner` (a function or class the answers define at the top level of a
    cell) reaches: as an attribute (`y.backward`, `torch.autograd.grad`), through an import (inside it, or
    beside it and used by it: `from torch.autograd import grad as g` ... `g(...)`), or as a string
    (`getattr(torch, "autograd")`). A variable that happens to share a name is no use. Parsed, never run:
    what the graded code is written with cannot be taken from the sandbox's word. (A name computed at run
    time is what the source screening flags for a person.)"""
    wanted = set(names)
    hits: set[str] = set()
    for tree in _trees(sources):
        imported: dict[str, list[str]] = {}
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported.update(_imported_words(node))
        for top in tree.body:
            if not (isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and top.name == owner):
                continue
            for node in ast.walk(top):
                if isinstance(node, ast.Attribute):
                    words = [node.attr]
                elif isinstance(node, ast.Name):
                    words = imported.get(node.id, [])
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    words = [w for ws in _imported_words(node).values() for w in ws]
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    words = node.value.strip().split(".")
                else:
                    continue
                hits.update(w for w in words if w in wanted)
    return sorted(hits)


def install_tripwires(paths: Iterable[str]) -> None:
    """Count calls of the given torch callables (dotted paths), before any student code runs."""
    import importlib

    for path in paths:
        module_name, _, attr = path.rpartition(".")
        owner: Any = None
        parts = module_name.split(".")
        for i in range(len(parts), 0, -1):  # longest importable prefix, then attributes
            try:
                owner = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for part in parts[i:]:
                owner = getattr(owner, part, None)
            break
        original = getattr(owner, attr, None) if owner is not None else None
        if original is None or path in TRIPWIRES:
            continue
        TRIPWIRES[path] = 0

        def counted(*args: Any, __original: Any = original, __path: str = path, **kwargs: Any) -> Any:
            TRIPWIRES[__path] += 1
            return __original(*args, **kwargs)

        setattr(owner, attr, counted)


def tripwire_counts() -> dict[str, int]:
    return dict(TRIPWIRES)


def fired(before: dict, after: dict) -> list[str]:
    return sorted(p for p, n in after.items() if n > before.get(p, 0))


def close_enough(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel)
