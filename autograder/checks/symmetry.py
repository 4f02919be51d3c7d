"""Checks for the symmetry chapter: a constant-initialised MLP, and the report of which of a model's
parameter tensors still have all their entries equal (after training, or not).

The models in the probes are built here, from plain specs (sizes, activation name, init, seed,
optimizer name and options), so a test of the report never depends on the student's builder.
The truth is measured on a reference run on the CPU: a tensor "has all entries equal" when
max − min of its entries is at most `atol`. Every case is chosen so that the truth does not hang
on rounding: the spread of each tensor is either far below `atol` or far above it, whatever the
device or the order of the floating-point sums.
"""

import functools
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from .core import (
    DTYPES,
    CheckFailure,
    ProbeError,
    clip,
    compare,
    describe,
    pick_device,
    probe,
    reference,
    student,
    student_limit,
    to_data,
    trusted,
)

# Activation names a spec may use -> what the student's builder receives (a no-argument factory).
_SYM_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "leaky_relu": functools.partial(nn.LeakyReLU, 0.1),
}
_SYM_SPELLED = {"leaky_relu": "functools.partial(nn.LeakyReLU, 0.1)"}

_SYM_OPTIMIZERS = {name: getattr(torch.optim, name) for name in
                   ("SGD", "Adam", "AdamW", "NAdam", "RMSprop", "Adagrad")}

# A truth closer to atol than this factor (either way) would depend on rounding: a test-design error.
_SYM_MARGIN = 5.0
# A trained constant start carries rounding noise that differs from CPU to CPU (AVX-512 kernels leave some
# tensors exactly equal that AVX2 ones leave 1e-17 apart). A trained case's entries are rounded to this many
# significant bits, far coarser than that noise and far finer than any atol, so that each verdict (an exact
# comparison's, say) is the same on every machine; noise, where a case wants it, is its explicit "jitter".
_SYM_BITS = {"float64": 30, "float32": 16}


def _sym_activation(name: str) -> Callable[[], nn.Module]:
    return _SYM_ACTIVATIONS[name]


def _sym_spell_activation(name: str) -> str:
    if name in _SYM_SPELLED:
        return _SYM_SPELLED[name]
    return f"nn.{getattr(_SYM_ACTIVATIONS[name], '__name__', name)}"


def _sym_mlp(sizes: list, activation: str) -> nn.Sequential:
    """Linear layers between consecutive sizes, an activation between two Linear layers (none at the end)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(_sym_activation(activation)())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


def _sym_constant_mlp(sizes: list, activation: Callable[[], nn.Module], weight_value: float,
                      bias_value: float) -> nn.Sequential:
    """The trusted builder, with the student's signature (used on the reference side only)."""
    name = next(k for k, v in _SYM_ACTIVATIONS.items() if v is activation)
    return _sym_model({"sizes": sizes, "activation": name, "weight": weight_value, "bias": bias_value},
                      "float32", torch.device("cpu"))


def _sym_model(spec: dict, dtype: str, device: torch.device) -> nn.Sequential:
    """The model a spec describes: constant init (spec weight, bias) or random init (spec seed, scale)."""
    model = _sym_mlp(spec["sizes"], spec.get("activation", "tanh")).to(DTYPES[dtype])
    gen = torch.Generator().manual_seed(spec.get("seed", 0))
    with torch.no_grad():
        for p in model.parameters():
            if spec.get("init", "constant") == "constant":
                p.fill_(spec["weight"] if p.ndim > 1 else spec["bias"])
            else:
                p.copy_(spec.get("scale", 0.5) * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return model.to(device)


def _sym_train(model: nn.Module, sizes: list, train: dict, dtype: str, device: torch.device) -> None:
    """Full-batch training on a fixed random regression problem (mean squared error)."""
    gen = torch.Generator().manual_seed(train.get("seed", 1))
    n = train.get("batch", 16)
    x = torch.randn(n, sizes[0], generator=gen, dtype=torch.float64).to(device, DTYPES[dtype])
    y = torch.randn(n, sizes[-1], generator=gen, dtype=torch.float64).to(device, DTYPES[dtype])
    opt = _SYM_OPTIMIZERS[train["optimizer"]](model.parameters(), **train.get("options", {}))
    for _ in range(train["steps"]):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


def _sym_jitter(model: nn.Module, size: float, seed: int) -> None:
    """Add a deterministic perturbation of at most `size` to every entry (rounding noise, made visible)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            noise = (2 * torch.rand(p.shape, generator=gen, dtype=torch.float64) - 1) * size
            p.add_(noise.to(p.device, p.dtype))


def _sym_snap(model: nn.Module, bits: int) -> None:
    """Round every entry to `bits` significant bits (exact operations: the same result on every machine)."""
    with torch.no_grad():
        for p in model.parameters():
            mantissa, exponent = torch.frexp(p)
            p.copy_(torch.ldexp(torch.round(mantissa * 2.0 ** bits) / 2.0 ** bits, exponent))


def _sym_spread(p: torch.Tensor) -> float:
    """max − min of the entries: 0 when they are all equal."""
    values = p.detach()
    return float(values.max() - values.min())


def _sym_as_bool(value: Any) -> Any:
    """A report's value as a bool, or a string naming what it was instead."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype == torch.bool:
        return bool(value.item())
    return clip(f"a {type(value).__name__}")


@probe
def symmetry_build(namespace: dict, fn: str, sizes: list, activation: str, weight: float, bias: float,
                   device: str = "auto", seed: int = 0, n_inputs: int = 8) -> dict:
    """Build the student's constant MLP; report its parameters and its outputs (in float64) on fixed inputs."""
    if fn not in namespace:
        raise ProbeError("NameError", f"{fn} is not defined: run the cell that defines it first")
    dev = pick_device(device)
    net = namespace[fn](list(sizes), _sym_activation(activation), float(weight), float(bias))
    if not isinstance(net, nn.Module):
        return {"module": clip(type(net).__name__)}
    params = [{"name": clip(name), "shape": list(p.shape), "min": float(p.detach().min()),
               "max": float(p.detach().max()), "trainable": bool(p.requires_grad)}
              for name, p in list(net.named_parameters())[:64]]
    net = net.to(device=dev, dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    x = 1.5 * torch.randn(n_inputs, sizes[0], generator=gen, dtype=torch.float64)
    with torch.no_grad():
        out = net(x.to(dev))
    expected = n_inputs * sizes[-1]
    outputs = to_data(out) if isinstance(out, torch.Tensor) and out.numel() <= student_limit(expected) else None
    return {"module": None, "params": params, "outputs": outputs, "device": dev.type}


def _sym_holder(params: Mapping[str, Any], dtype: str, device: torch.device) -> nn.Module:
    """A module whose named_parameters() are `params` ({"0.weight": values, ...}), nested as the names say:
    what the report reads of a model, and nothing that builds or trains one."""
    root = nn.Module()
    for name, values in params.items():
        owner = root
        *path, leaf = name.split(".")
        for part in path:
            if part not in owner._modules:
                owner.add_module(part, nn.Module())
            owner = owner._modules[part]
        owner.register_parameter(leaf, nn.Parameter(torch.tensor(values, dtype=DTYPES[dtype], device=device)))
    return root


@probe
def symmetry_report(namespace: dict, fn: str, params: dict, atol: float = 1e-9, dtype: str = "float64",
                    device: str = "auto") -> dict:
    """The student's report on a model the grader built (and trained) on its side, sent as its parameters."""
    if fn not in namespace:
        raise ProbeError("NameError", f"{fn} is not defined: run the cell that defines it first")
    dev = pick_device(device)
    report = namespace[fn](_sym_holder(params, dtype, dev), atol)
    if not isinstance(report, Mapping):
        return {"report": None, "type": clip(type(report).__name__), "device": dev.type}
    return {"type": "dict", "device": dev.type,
            "report": {clip(k): _sym_as_bool(v) for k, v in list(report.items())[:64]}}


def _sym_case(case: dict) -> dict:
    """The grader's side of a report case: the model its spec describes, built, trained and jittered here (on
    the CPU), as parameters to send, with each tensor's spread and shape (the truth)."""
    model, dtype = case["model"], case.get("dtype", "float64")
    net = _sym_model(model, dtype, torch.device("cpu"))
    if case.get("train"):
        _sym_train(net, model["sizes"], case["train"], dtype, torch.device("cpu"))
        _sym_snap(net, _SYM_BITS[dtype])
    if case.get("jitter"):
        _sym_jitter(net, case["jitter"], model.get("seed", 0) + 7)
    named = dict(net.named_parameters())
    return {"params": {name: to_data(p) for name, p in named.items()},
            "spreads": {name: _sym_spread(p) for name, p in named.items()},
            "shapes": {name: list(p.shape) for name, p in named.items()}}


# Reference-side code: it builds, trains and measures models, as the graded functions do. It runs in the
# grader only; the sandbox's copy of this module has stubs in its place (sandbox/zygote.py), so that a
# submission cannot hand in the grader's own code as its answer.
SYMMETRY_REFERENCE_ONLY = ["_sym_mlp", "_sym_constant_mlp", "_sym_model", "_sym_train", "_sym_snap", "_sym_jitter",
                           "_sym_spread", "_sym_case"]
# It is what the students write, in plain torch (nothing switched off stops a copy of it): not in the
# student notebooks either, whose visible tests use the data it computed, precomputed by the build.
SYMMETRY_NOT_HANDED_OUT = SYMMETRY_REFERENCE_ONLY


def _sym_call(fn: str, case: dict) -> str:
    return (f"{fn}({case['sizes']}, {_sym_spell_activation(case['activation'])}, "
            f"weight_value={case['weight']!r}, bias_value={case['bias']!r})")


def check_constant_mlp(fn: str, cases: list) -> None:
    """The student's builder must give the Linear/activation stack, every weight and bias at its constant."""
    for case in cases:
        kwargs = {k: case[k] for k in ("sizes", "activation", "weight", "bias")}
        call = _sym_call(fn, case)
        want = reference("trusted constant MLP", {fn: _sym_constant_mlp}, "symmetry_build", fn=fn, device="cpu",
                         **kwargs)
        try:
            got = student().probe("symmetry_build", fn=fn, **kwargs)
        except ProbeError as error:
            raise CheckFailure(f"{call} raised {error.describe()}")
        if got["module"] is not None:
            raise CheckFailure(f"{call} returned a {got['module']}; it should return the network, an nn.Module.")
        shapes, expected = [p["shape"] for p in got["params"]], [p["shape"] for p in want["params"]]
        if shapes != expected:
            raise CheckFailure(
                f"{call}: the network's parameters have shapes {shapes}; expected {expected}: one "
                f"nn.Linear(n_in, n_out) for each pair of consecutive sizes ({len(case['sizes']) - 1} here), "
                f"whose weight has shape (n_out, n_in) and bias (n_out,).")
        for p, w in zip(got["params"], want["params"]):
            kind, value = ("weight", case["weight"]) if len(w["shape"]) > 1 else ("bias", case["bias"])
            if abs(p["min"] - value) > 1e-7 or abs(p["max"] - value) > 1e-7:
                spread = f"{p['min']:.6g}" if p["min"] == p["max"] else f"from {p['min']:.6g} to {p['max']:.6g}"
                raise CheckFailure(f"{call}: parameter '{p['name']}' (a {kind}, shape {tuple(p['shape'])}) has "
                                   f"entries {spread}; every {kind} entry should be {value!r}.")
            if not p["trainable"]:
                raise CheckFailure(f"{call}: parameter '{p['name']}' has requires_grad=False: it could not be "
                                   f"trained.")
        try:
            compare(got["outputs"], want["outputs"], what="the output (row: input, column: output unit)",
                    theirs="expected", context=f"{call}, run in float64 on {got['device']} on 8 inputs")
        except CheckFailure as failure:
            raise CheckFailure(f"{failure} The parameters are right, so look at the layers' order and the "
                               f"activations: one after every Linear layer except the last, none at the output.")


def _sym_title(case: dict) -> str:
    model = case["model"]
    act = _sym_spell_activation(model.get("activation", "tanh"))
    if model.get("init", "constant") == "constant":
        init = f"all weights {model['weight']!r} and all biases {model['bias']!r}"
    else:
        init = f"random weights and biases (seed {model.get('seed', 0)})"
    text = f"a {model['sizes']} MLP with {act}, {init},"
    train = case.get("train")
    if train:
        options = describe(train.get("options", {}))
        text += f" after {train['steps']} steps of {train['optimizer']}({options})"
    else:
        text += " untrained"
    if case.get("jitter"):
        text += f", then every entry moved by up to {case['jitter']:g} (noise)"
    return f"{text} in {case.get('dtype', 'float64')}, atol={case['atol']:g}"


def check_all_entries_equal(fn: str, cases: list) -> None:
    """The student's report must name every parameter tensor and say, for each, whether max − min ≤ atol."""
    for case in cases:
        atol = case["atol"]
        title = _sym_title(case)
        want = trusted("symmetry case", _sym_case, case=case)
        for name, spread in want["spreads"].items():  # the truth must not hang on rounding
            if atol / _SYM_MARGIN < spread < atol * _SYM_MARGIN:
                raise RuntimeError(f"test design: {name} spreads {spread:g}, too close to atol {atol:g} ({title})")
        try:
            got = student().probe("symmetry_report", fn=fn, params=want["params"], atol=atol,
                                  dtype=case.get("dtype", "float64"))
        except ProbeError as error:
            raise CheckFailure(f"{fn}(model, atol) on {title}: your code raised {error.describe()}")
        if got["report"] is None:
            raise CheckFailure(f"{fn}(model, atol) returned a {got['type']}; it should return a dict "
                               f"{{parameter name: True/False}} (names from model.named_parameters()).")
        truth = {name: spread <= atol for name, spread in want["spreads"].items()}
        _sym_compare_report(fn, got["report"], truth, want, title, atol)


def _sym_compare_report(fn: str, report: dict, truth: dict, want: dict, title: str, atol: float) -> None:
    where = f"{fn}(model, atol) on {title}"
    missing = [n for n in truth if n not in report]
    if missing:
        names = ", ".join(f"'{n}' (shape {tuple(want['shapes'][n])})" for n in missing)
        raise CheckFailure(f"{where}: your report has no entry for {names}. Report every tensor of "
                           f"model.named_parameters(), biases included, by the name it gives.")
    extra = [n for n in report if n not in truth]
    if extra:
        raise CheckFailure(f"{where}: your report names {extra}, which are not parameters of the model; "
                           f"its parameters are {list(truth)}.")
    not_bool = {n: v for n, v in report.items() if not isinstance(v, bool)}
    if not_bool:
        name, value = next(iter(not_bool.items()))
        raise CheckFailure(f"{where}: the report's value for '{name}' is {value}; each value should be True "
                           f"or False (a bool).")
    wrong = [n for n in truth if report[n] != truth[n]]
    if not wrong:
        return
    name = wrong[0]
    spread, shape = want["spreads"][name], tuple(want["shapes"][name])
    if truth[name]:
        detail = (f"but they are: max − min = {spread:.3g} ≤ atol" if spread else "but they are: max − min = 0")
        if 0 < spread:
            detail += " (a difference that small is rounding noise: compare within atol, not exactly)"
        if int(np.prod(shape)) == 1:
            detail += " (a tensor with one entry has all its entries equal)"
    else:
        detail = f"but they are not: max − min = {spread:.3g} > atol = {atol:g}"
    says = "all equal" if report[name] else "not all equal"
    others = f" ({len(wrong)} of {len(truth)} tensors wrong: {wrong})" if len(wrong) > 1 else ""
    raise CheckFailure(f"{where}: your report says the entries of '{name}' (shape {shape}) are {says}, "
                       f"{detail}.{others}")
