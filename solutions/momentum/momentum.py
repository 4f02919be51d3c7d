# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment: SGD with momentum
#
# In this assignment you write stochastic gradient descent with momentum, dampening, Nesterov
# momentum and weight decay as a subclass of `torch.optim.Optimizer`:
#
# * `MySGD(params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)`
#
# It must behave exactly like `torch.optim.SGD` with the same settings, step for step: the same
# first step, the same momentum buffer, the same Nesterov update, weight decay as an L2 term added
# to the gradient; `step(closure=None)` returns the closure's loss; every parameter keeps its own
# state, every parameter group its own settings; parameters whose `.grad` is `None` are skipped.
# Do not use torch's `SGD` (or its functional or fused forms): the autograder switches it off, so a
# class built on it fails its tests there, and is flagged.
# Compare with torch's in a cell of your own, not in an answer cell: there the call would stop the cell.
#
# **How the tests grade.** Each test cell grades one feature, named in its title ("MySGD: plain
# SGD (momentum 0)", "MySGD: dampening"), and is worth the points listed under the exercise: a bug
# costs the points of the feature it breaks. Plain SGD is graded apart from momentum, and each of
# dampening, Nesterov and weight decay is graded with the others switched off (the combination of
# weight decay and Nesterov has a small test of its own). The visible part of each test runs here,
# in a few seconds; the autograder adds hidden cases of the same feature (other settings, more
# steps, float32), and its feedback names each failed test with its message.
#
# **How to read a failing test.** A message names the case (its settings, dtype and device, and
# what it did: gradients set to `None` or zeroed in place, an lr changed between steps, a
# `state_dict` round trip), the first step after which your parameters differ from torch's beyond
# the tolerance, the parameter (index, group, shape) and the entry with the largest error, your
# value and torch's printed with as many digits as it takes for them to differ, the error and the
# relative error. Where the pattern is known it adds a *likely cause*, found by comparing your
# numbers with other computations: your class rerun with one setting switched off (weight decay,
# dampening, Nesterov, momentum itself, gradients zeroed in place), torch's heavy ball for a
# Nesterov that is not one, which parameters and groups are still right, and the ratio of your
# first step to torch's. A difference at step 1 is in the formula of one step (the first step
# sets the buffer to g, undamped); a difference that starts later is in what carries over between
# steps, unless your first step already differed by less than the tolerance (the message says so).

# %% nbgrader={"grade": false, "grade_id": "setup-colab", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Setup. On Colab this uses Colab's own torch and installs nothing; elsewhere it only reports.
import sys

import torch

IN_COLAB = "google.colab" in sys.modules
if torch.cuda.is_available():
    print(f"GPU: {torch.cuda.get_device_name(0)}. The tests run on it.")
else:
    print("No GPU: the tests run on the CPU."
          + (" For a GPU: Runtime > Change runtime type > T4 GPU." if IN_COLAB else ""))

# %% nbgrader={"grade": false, "grade_id": "setup-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np
import plotly.graph_objects as go
import torch
from torch.optim import Optimizer

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: autograder/checks/core.py autograder/checks/optimizers.py

# %% [markdown] nbgrader={"grade": false, "grade_id": "sgd-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. `MySGD`
#
# For each parameter θ with gradient $g$ = `p.grad`, learning rate γ, momentum μ, dampening τ and
# weight decay λ, one step does:
#
# $$g \leftarrow g + \lambda\theta \qquad \text{(weight decay: an L2 term, before anything else)}$$
#
# If μ ≠ 0, a *momentum buffer* $b$ (one per parameter) remembers past gradients:
#
# $$b \leftarrow g \ \text{ at the parameter's first step (no dampening there)}, \qquad
# b \leftarrow \mu\, b + (1-\tau)\, g \ \text{ at every later step}$$
#
# $$d = g + \mu\, b \ \text{ with Nesterov}, \qquad d = b \ \text{ without}; \qquad
# \text{and if } \mu = 0:\ d = g \ \text{ (no buffer at all, dampening is ignored)}$$
#
# $$\theta \leftarrow \theta - \gamma\, d$$
#
# What torch does, and so what you must do:
#
# * Keep the buffer in `self.state[p]` (for example `self.state[p]["momentum_buffer"]`), so
#   that each parameter has its own and `state_dict()` / `load_state_dict()` save and restore it.
#   The buffer is a **copy** of the gradient at the first step, not `p.grad` itself: backward
#   may later write into `p.grad` in place (`zero_grad(set_to_none=False)`).
# * Never modify `p.grad`: compute with new tensors (`grad = p.grad.add(p, alpha=wd)`, not `+=`).
# * Read the hyper-parameters from each `group` at every step (a scheduler may change
#   `group["lr"]`), update θ in place under `torch.no_grad()`, and skip parameters whose `.grad`
#   is `None` (no state, no step for them).
# * `step(closure=None)`: if a closure is given, call it under `torch.enable_grad()` (it runs
#   backward) before the update, and return its loss; otherwise return `None`.
# * Raise `ValueError` in `__init__` for `lr < 0`, `momentum < 0`, `weight_decay < 0`, and for
#   `nesterov=True` unless `momentum > 0` and `dampening == 0`. Accept every other setting
#   (torch does, e.g. `dampening` without momentum: it is then ignored).
# * Pass every hyper-parameter to `Optimizer.__init__` in the defaults dict, with these names.
#
# **Points: 29**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MySGD: plain SGD (momentum 0) | 4 |
# | MySGD: momentum (heavy ball) | 4 |
# | MySGD: dampening | 3 |
# | MySGD: Nesterov momentum | 3 |
# | MySGD: weight decay | 2 |
# | MySGD: weight decay with Nesterov | 1 |
# | MySGD: one buffer per parameter, settings per group, None gradients | 3 |
# | MySGD: p.grad left alone, the buffer a copy | 2 |
# | MySGD: closure, lr changed between steps, state_dict | 3 |
# | MySGD: defaults and invalid settings | 2 |
# | MySGD: float32 | 1 |
# | MySGD: your own implementation | 1 |

# %% nbgrader={"grade": false, "grade_id": "sgd-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MySGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        ### BEGIN SOLUTION
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = grad.clone()
                    else:
                        state["momentum_buffer"].mul_(momentum).add_(grad, alpha=1 - dampening)
                    buf = state["momentum_buffer"]
                    grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
                p.add_(grad, alpha=-lr)
        return loss
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "sgd-plain", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="MySGD: plain SGD (momentum 0)"
# MySGD without momentum: θ ← θ − γ·g, skipping parameters whose .grad is None. The autograder also runs other lrs,
# more steps and small gradients.
check_optimizer("MySGD", "SGD", [
    {"name": "plain SGD", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.1, "momentum": 0.0}}], "steps": 10},
    {"name": "plain SGD, a gradient None", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "momentum": 0.0}}],
     "steps": 6, "seed": 80, "none_grads": [[2, 1]]},
])
print("MySGD passes the visible tests of plain SGD.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "plain SGD, many steps", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 0.1, "momentum": 0.0}}],
     "steps": 40, "seed": 1},
    {"name": "plain SGD, small gradients", "groups": [{"shapes": [[2, 2]], "options": {"lr": 0.5, "momentum": 0.0}}],
     "steps": 30, "seed": 6, "grad_scale": 0.01},
    {"name": "plain SGD, gradients None", "groups": [{"shapes": [[2], [2], [3]], "options": {"lr": 0.2, "momentum": 0.0}}],
     "steps": 20, "seed": 7, "none_grads": [[3, 0], [4, 2]]},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-momentum", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="MySGD: momentum (heavy ball)"
# MySGD with momentum: the buffer b ← g at a parameter's first step, b ← μb + g later, θ ← θ − γb (no dampening,
# no Nesterov, no weight decay). The autograder also runs other momenta, many steps and small gradients.
check_optimizer("MySGD", "SGD", [
    {"name": "heavy ball", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.05, "momentum": 0.9}}], "steps": 10},
])
print("MySGD passes the visible tests of momentum.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "heavy ball", "groups": [{"shapes": [[5], [3, 2]], "options": {"lr": 0.03, "momentum": 0.9}}],
     "steps": 100, "seed": 2},
    {"name": "light momentum", "groups": [{"shapes": [[4]], "options": {"lr": 0.1, "momentum": 0.3}}],
     "steps": 60, "seed": 3},
    {"name": "long memory", "groups": [{"shapes": [[3]], "options": {"lr": 0.005, "momentum": 0.99}}],
     "steps": 150, "seed": 4},
    {"name": "small gradients", "groups": [{"shapes": [[2, 2]], "options": {"lr": 0.5, "momentum": 0.8}}],
     "steps": 50, "seed": 5, "grad_scale": 0.01},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-dampening", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MySGD: dampening"
# MySGD with dampening τ: b ← μb + (1 − τ)g from the second step on (the first step sets b ← g, undamped), and
# dampening ignored without momentum. The autograder also runs other values and more steps.
check_optimizer("MySGD", "SGD", [
    {"name": "dampening", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}}],
     "steps": 10, "seed": 81},
    {"name": "dampening without momentum",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.0, "dampening": 0.5}}], "steps": 5, "seed": 82},
])
print("MySGD passes the visible tests of dampening.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "dampening", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}}],
     "steps": 60, "seed": 11},
    {"name": "strong dampening", "groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.5, "dampening": 0.9}}],
     "steps": 40, "seed": 12},
    {"name": "dampening = momentum", "groups": [{"shapes": [[3]], "options": {"lr": 0.2, "momentum": 0.8, "dampening": 0.8}}],
     "steps": 40, "seed": 13},
    {"name": "dampening without momentum",
     "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.1, "momentum": 0.0, "dampening": 0.5}}],
     "steps": 20, "seed": 15},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-nesterov", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MySGD: Nesterov momentum"
# MySGD with nesterov=True: the step is along g + μb, the buffer updated first (no dampening, no weight decay).
# The autograder also runs other momenta and many steps.
check_optimizer("MySGD", "SGD", [
    {"name": "Nesterov", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.05, "momentum": 0.9, "nesterov": True}}],
     "steps": 10},
])
print("MySGD passes the visible tests of Nesterov.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "Nesterov", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 0.03, "momentum": 0.9, "nesterov": True}}],
     "steps": 100, "seed": 21},
    {"name": "Nesterov, light momentum",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.5, "nesterov": True}}], "steps": 50, "seed": 22},
    {"name": "Nesterov, long memory",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.01, "momentum": 0.99, "nesterov": True}}], "steps": 100, "seed": 23},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-weight-decay", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MySGD: weight decay"
# MySGD with weight decay: λθ added to the gradient before anything else (g ← g + λθ), so that the momentum buffer
# accumulates it; not decoupled (θ ← θ(1 − γλ)). The autograder also runs other settings and more steps.
check_optimizer("MySGD", "SGD", [
    {"name": "weight decay, no momentum",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.3}}], "steps": 5, "seed": 83},
    {"name": "weight decay with momentum",
     "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.5}}], "steps": 10, "seed": 84},
])
print("MySGD passes the visible tests of weight decay.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "weight decay", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.5}}],
     "steps": 60, "seed": 31},
    {"name": "weight decay, no momentum",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.0, "weight_decay": 0.3}}], "steps": 30, "seed": 33},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-weight-decay-nesterov", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MySGD: weight decay with Nesterov"
# MySGD with weight decay and Nesterov together: the look-ahead g + μb uses the gradient with λθ added.
# The autograder also runs more steps.
check_optimizer("MySGD", "SGD", [
    {"name": "weight decay with Nesterov",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.2, "nesterov": True}}],
     "steps": 10, "seed": 85},
])
print("MySGD passes the visible tests of weight decay with Nesterov.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "weight decay, Nesterov",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.2, "nesterov": True}}],
     "steps": 50, "seed": 25},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-state", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MySGD: one buffer per parameter, settings per group, None gradients"
# MySGD with momentum: each parameter keeps its own buffer, each group its own settings, and a parameter whose .grad
# is None is skipped (no buffer, no first step yet). The autograder also runs more groups, a late starter, more steps.
check_optimizer("MySGD", "SGD", [
    {"name": "same shapes, gradients None", "groups": [{"shapes": [[3], [3], [2]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 8, "seed": 86, "none_grads": [[1, 2], [2, 2], [4, 1]]},
    {"name": "two groups", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "momentum": 0.9}},
                                      {"shapes": [[2]], "options": {"lr": 0.02, "momentum": 0.5}}],
     "steps": 8, "seed": 87},
])
print("MySGD passes the visible tests of buffers and groups.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "same shapes", "groups": [{"shapes": [[3], [3], [3]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 30, "seed": 41, "none_grads": [[1, 1], [2, 1], [5, 2]]},
    {"name": "three groups",
     "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "momentum": 0.9}},
                {"shapes": [[2]], "options": {"lr": 0.02, "momentum": 0.5}},
                {"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.0}}],
     "steps": 40, "seed": 42},
    {"name": "late starter", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 20, "seed": 43, "none_grads": [[s, 1] for s in range(1, 8)]},
    {"name": "plain SGD, two groups",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.0}}, {"shapes": [[2]], "options": {"lr": 0.02, "momentum": 0.0}}],
     "steps": 10, "seed": 44},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-grads", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MySGD: p.grad left alone, the buffer a copy"
# MySGD never writes into p.grad (also with weight decay and Nesterov), and its buffer is a copy of the gradient, not
# p.grad itself (which backward overwrites when gradients are zeroed in place). The autograder also runs more cases.
check_grads_untouched("MySGD", [
    {"name": "p.grad, weight decay", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "momentum": 0.0, "weight_decay": 0.1}}],
     "steps": 3, "seed": 52},
    {"name": "p.grad, Nesterov", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9, "nesterov": True}}],
     "steps": 3, "seed": 88},
])
check_optimizer("MySGD", "SGD", [
    {"name": "gradients zeroed in place", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 6, "seed": 89, "zero_grad": "inplace"},
])
print("MySGD passes the visible tests of p.grad and the buffer.")
### BEGIN HIDDEN TESTS
check_grads_untouched("MySGD", [
    {"name": "p.grad, heavy ball, weight decay",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}}], "steps": 10, "seed": 53},
    {"name": "p.grad, Nesterov, gradients zeroed in place",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9, "nesterov": True}}],
     "steps": 10, "seed": 26, "zero_grad": "inplace"},
])
check_optimizer("MySGD", "SGD", [
    {"name": "gradients zeroed in place", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 20, "seed": 51, "zero_grad": "inplace"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-api", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MySGD: closure, lr changed between steps, state_dict"
# MySGD with momentum: step(closure) returns the closure's loss, an lr changed between steps is used at the next step
# (the buffer holds gradients, not lr·g), and a state_dict() round trip goes on where it stopped. The autograder runs longer.
check_optimizer("MySGD", "SGD", [
    {"name": "closure", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9}}], "steps": 5, "seed": 90,
     "closure": True},
    {"name": "lr changed between steps", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9}}], "steps": 8,
     "seed": 91, "lr_changes": {"4": 0.01}},
    {"name": "state_dict round trip", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "momentum": 0.9}}], "steps": 8,
     "seed": 92, "resume_at": 4},
])
print("MySGD passes the visible tests of closure, lr changes and state_dict.")
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "closure", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 10, "seed": 61, "closure": True},
    {"name": "closure, plain SGD", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.0}}],
     "steps": 5, "seed": 63, "closure": True},
    {"name": "scheduled lr", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 20, "seed": 62, "lr_changes": {"6": 0.01, "12": 0.1}},
    {"name": "resumed", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "momentum": 0.9}}],
     "steps": 20, "seed": 64, "resume_at": 8},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-args", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MySGD: defaults and invalid settings"
# MySGD: torch's defaults in param_groups (momentum 0: plain SGD), ValueError for invalid settings, every valid one
# accepted, once its plain steps match torch's. The autograder checks every setting.
check_runs("MySGD", "SGD", {"groups": [{"shapes": [[3]], "options": {
    "lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}}], "steps": 2})
check_defaults("MySGD", {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False})
check_rejects("MySGD", invalid=[{"lr": -0.1}, {"lr": 0.1, "nesterov": True}],
              valid=[{"lr": 0.0}, {"lr": 0.1, "momentum": 0.9, "nesterov": True}])
print("MySGD passes the visible tests of defaults and argument checks.")
### BEGIN HIDDEN TESTS
check_rejects("MySGD",
              invalid=[{"lr": -1e-3}, {"lr": 0.1, "momentum": -0.1}, {"lr": 0.1, "weight_decay": -0.1},
                       {"lr": 0.1, "nesterov": True}, {"lr": 0.1, "momentum": 0.0, "nesterov": True},
                       {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}],
              valid=[{"lr": 0.0, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0},
                     {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
                     {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
                     {"lr": 0.1, "dampening": 0.5}])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-float32", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MySGD: float32"
# MySGD in float32 (run by the autograder): float32 parameters stay float32 and follow torch.optim.SGD.
### BEGIN HIDDEN TESTS
check_optimizer("MySGD", "SGD", [
    {"name": "float32, heavy ball", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.03, "momentum": 0.9}}],
     "steps": 30, "seed": 71, "dtype": "float32"},
    {"name": "float32, plain SGD", "groups": [{"shapes": [[5]], "options": {"lr": 0.1, "momentum": 0.0}}],
     "steps": 20, "seed": 72, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "sgd-own-work", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MySGD: your own implementation"
# MySGD is your own implementation (run by the autograder): a class subclassing torch.optim.Optimizer whose steps follow
# torch's SGD on a short run, while the autograder switches torch's optimizers off.
### BEGIN HIDDEN TESTS
check_own_implementation("MySGD", "SGD",
                         {"groups": [{"shapes": [[3]], "options": {"lr": 0.1, "momentum": 0.9}}], "steps": 3})
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "experiments-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Experiments: why momentum helps
#
# These cells are not graded; they use your `MySGD` next to `torch.optim.SGD`, so where the two
# paths differ, a test above says why.
#
# **A ravine.** $f(x, y) = 0.05\,x^2 + 2.5\,y^2$ has curvature $h = 0.1$ along x and $h = 5$ along
# y (condition number 50). Gradient descent is stable only for $\gamma h < 2$ in every direction,
# so γ < 0.4: the steep direction caps the learning rate, and along the flat one each step then
# removes only a few percent of the error. Run plain SGD, the heavy ball (μ = 0.9) and Nesterov
# (μ = 0.9) with the same γ = 0.25, and look at the paths (○ start, ✕ end) and the losses.

# %% nbgrader={"grade": false, "grade_id": "setup-course", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: course/functions.py course/plots.py course/momentum.py

# %%
fn, xs, ys, start = RAVINE
SETTINGS = {
    "plain": {"lr": 0.25},
    "heavy ball μ=0.9": {"lr": 0.25, "momentum": 0.9},
    "Nesterov μ=0.9": {"lr": 0.25, "momentum": 0.9, "nesterov": True},
}
paths = {}
for label, options in SETTINGS.items():
    paths[f"MySGD {label}"] = trajectory(MySGD, fn, start, steps=100, **options)
    paths[f"torch {label}"] = trajectory(torch.optim.SGD, fn, start, steps=100, **options)
contour_with_paths(fn, xs, ys, paths, title="Ravine 0.05x² + 2.5y², 100 steps, γ = 0.25", height=420).show()
loss_curves(fn, paths, title="Loss along the way (log axis)").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "slider-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **How much momentum?** The same ravine and γ, your `MySGD` with μ from 0 to 0.99 (move the
# slider). Watch the steep direction (y) and the flat one (x) separately.

# %%
momentum_slider(MySGD, fn, xs, ys, start, [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99], steps=100, lr=0.25,
                title="MySGD on the ravine, γ = 0.25").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "test-functions-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **The test functions.** f1(x, y) = x² + y² + 10 sin 5x + 10 cos 5y (ripples), Rosenbrock
# (1 − x)² + 100(y − x²)² (a curved valley) and Himmelblau (x² + y − 11)² + (x + y² − 7)² (four
# minima): plain, heavy ball and Nesterov, 200 steps from the same start, with a learning rate
# chosen per function (Rosenbrock's gradients are about 100 times larger).

# %%
LR = {"f1": 0.01, "rosenbrock": 1e-3, "himmelblau": 0.01}
for fname, (fn, xs, ys, start) in TEST_FUNCTIONS.items():
    paths = {}
    for label, extra in {"plain": {}, "heavy ball μ=0.9": {"momentum": 0.9},
                         "Nesterov μ=0.9": {"momentum": 0.9, "nesterov": True}}.items():
        paths[f"MySGD {label}"] = trajectory(MySGD, fn, start, lr=LR[fname], **extra)
        paths[f"torch {label}"] = trajectory(torch.optim.SGD, fn, start, lr=LR[fname], **extra)
    contour_with_paths(fn, xs, ys, paths, title=f"{fname}, γ = {LR[fname]:g}", log=fname != "f1", height=420).show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "momentum-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question (graded by hand, 5 points).** Using the ravine figures (and the slider):
#
# 1. Why does plain SGD make slow progress along x, and why can a larger learning rate not fix it?
# 2. How does the heavy ball speed up the flat direction? Give the step size it reaches when the
#    gradient stays constant, in terms of γ, μ (and τ).
# 3. What goes wrong when μ is too large (0.95, 0.99), and what does Nesterov's update change on
#    this function?
#
# Answer in a few sentences in the cell below.
#
# *Rubric (5 points):* (1) one point: the error factor per step along each direction and the limit the
# steep direction puts on γ; (2) one point: how the buffer grows along the flat direction, with the
# step size it tends to (a formula in γ, μ, τ); one point: what the buffer does along the steep
# direction; (3) one point: what a too large μ does, and why; one point: what Nesterov's update changes
# here, backed by what the figures show.

# %% [markdown] nbgrader={"grade": true, "grade_id": "momentum-answer", "locked": false, "points": 5, "schema_version": 3, "solution": true, "task": false}
# 1. Gradient descent multiplies the error along a direction of curvature h by (1 − γh) per step.
#    Stability needs γh < 2 along the steep direction (h = 5), so γ < 0.4; along the flat one
#    (h = 0.1) the factor is then at best 1 − 0.04 = 0.96, so hundreds of steps are needed. A larger
#    γ makes the steep direction zig-zag and then diverge before the flat direction gets fast.
# 2. Along x the gradient barely changes from step to step, so the buffer accumulates it:
#    b → g/(1 − μ) (with dampening, (1 − τ)g/(1 − μ)), and the step becomes γ/(1 − μ) times the
#    gradient, ten times larger for μ = 0.9. Along y the gradient changes sign every step and its
#    contributions to b cancel, so the steep direction is not sped up, and it stays stable up to
#    γh < 2(1 + μ).
# 3. With a large μ the buffer forgets slowly: the path overshoots, and oscillates (along y, and
#    around the minimum along x) for a long time; the error shrinks only by about √μ per step
#    (0.97 for 0.95, 0.995 for 0.99), slower than with μ ≈ 0.7 here. Nesterov evaluates the
#    momentum step with the current gradient added once more (g + μb), which acts as a look-ahead:
#    it brakes earlier when the gradient turns, damps the oscillations along y and reaches a lower
#    loss than the heavy ball with the same γ and μ (but it is stable only for a smaller γh).
#
# *Notes for graders (instructors only):* (1) one point: error factor 1 − γh per direction and the stability limit
# γ < 2/h_max set by the steep direction; (2) one point: accumulation along a consistent gradient,
# step → γ(1 − τ)/(1 − μ)·g (γ/(1 − μ) without dampening accepted); one point: cancellation of the
# alternating gradient along the steep direction; (3) one point: too large μ overshoots and
# oscillates (rate ≈ √μ, or "forgets too slowly"); one point: Nesterov's correction with the fresh
# gradient damps the oscillation, backed by what the figures show.
