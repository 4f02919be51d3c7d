# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment: Adam and NAdam
#
# In this assignment you write two optimizers as subclasses of `torch.optim.Optimizer`:
#
# * `MyAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)`
# * `MyNAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3)`
#
# They must behave exactly like `torch.optim.Adam` and `torch.optim.NAdam` with the same settings:
# weight decay is L2 added to the gradient, `step(closure=None)` returns the closure's loss,
# invalid hyper-parameters raise `ValueError`, every parameter keeps its own state, every parameter
# group its own settings, and parameters whose `.grad` is `None` are skipped.
# Do not use torch's `Adam`/`NAdam` (or their functional or fused forms): the autograder switches them
# off, so a class built on them fails its tests there, and is flagged.
# Compare with torch's in a cell of your own, not in an answer cell: there the call would stop the cell.
#
# **How the tests grade.** Each test cell grades one feature of one class, named in its title
# ("MyAdam: weight decay"), and is worth the points listed under each exercise: a bug costs the
# points of the feature it breaks, not the whole exercise. To keep the features apart, the tests of
# the other features run with `eps=0.0` (where ε's place cannot matter) and, for NAdam, with
# `momentum_decay=0.0` (a constant μ). The visible part of each test runs here, in a few seconds;
# the autograder adds hidden cases of the same feature (other settings, more steps, float32), and
# its feedback names each failed test with its message.
#
# **How to read a failing test.** A message names the case (its settings, dtype and device, and
# what it did: gradients set to `None`, an lr changed between steps, a `state_dict` round trip), the
# first step after which your parameters differ from torch's beyond the tolerance, the parameter
# (index, group, shape) and the entry with the largest error, your value and torch's printed with
# as many digits as it takes for them to differ, the error and the relative error. Where the
# pattern is known it adds a *likely cause*, found by comparing your numbers with other
# computations: your class rerun with one setting switched off (weight decay, ε, the momentum
# schedule), torch's alternatives (`torch.optim.AdamW` for decoupled weight decay), which parameters
# are still right, and the ratio of your first step to torch's (Adam's first step is γ·g/(|g| + ε)
# whatever the betas). A failure after step 1 is not always a state bug: an error in every update
# (ε in the wrong place, float32 arithmetic) can stay under the tolerance for a few steps; the
# message then says that your first step already differed.

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
import math

import numpy as np
import plotly.graph_objects as go
import torch
from torch.optim import Optimizer

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: autograder/checks/core.py autograder/checks/optimizers.py

# %% [markdown] nbgrader={"grade": false, "grade_id": "adam-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. `MyAdam`
#
# For each parameter θ with gradient g (t counts that parameter's steps, from 1):
#
# $$g \leftarrow g + \lambda\theta \qquad m \leftarrow \beta_1 m + (1-\beta_1) g \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2$$
#
# $$\hat m = \frac{m}{1-\beta_1^t} \qquad \hat v = \frac{v}{1-\beta_2^t} \qquad \theta \leftarrow \theta - \gamma\,\frac{\hat m}{\sqrt{\hat v} + \varepsilon}$$
#
# Keep m, v and t in `self.state[p]`, read the hyper-parameters from each `group` at every step
# (a scheduler may change `group["lr"]`), update θ in place under `torch.no_grad()`, and create
# the state with the parameter's dtype and device (`torch.zeros_like(p)`).
#
# **Points: 20**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MyAdam: the update (lr, betas, bias correction) | 5 |
# | MyAdam: ε (where it enters the update) | 3 |
# | MyAdam: weight decay | 3 |
# | MyAdam: p.grad left alone | 1 |
# | MyAdam: state per parameter, settings per group, None gradients | 3 |
# | MyAdam: closure, lr changed between steps, state_dict | 2 |
# | MyAdam: defaults and invalid settings | 1 |
# | MyAdam: float32 | 1 |
# | MyAdam: your own implementation | 1 |

# %% nbgrader={"grade": false, "grade_id": "adam-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        ### BEGIN SOLUTION
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        ### BEGIN SOLUTION
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                # θ ← θ − γ·m̂/(√v̂ + ε), in place: one temporary (the denominator) per parameter and step
                denom = v.sqrt().div_(math.sqrt(1 - beta2**t)).add_(group["eps"])
                p.addcdiv_(m, denom, value=-group["lr"] / (1 - beta1**t))
        return loss
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "adam-update", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false} title="MyAdam: the update (lr, betas, bias correction)"
# MyAdam: one update and the moments, bias-corrected, with eps=0 so that ε's placement is graded on its own.
# The autograder also runs other lrs and betas, many steps.
check_optimizer("MyAdam", "Adam", [
    {"name": "the update", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.1, "eps": 0.0}}], "steps": 10},
    {"name": "other betas", "groups": [{"shapes": [[4]], "options": {"lr": 0.05, "betas": [0.5, 0.9], "eps": 0.0}}],
     "steps": 20, "seed": 40},
])
print("MyAdam passes the visible tests of the update.")
### BEGIN HIDDEN TESTS
check_optimizer("MyAdam", "Adam", [
    {"name": "small lr, many steps", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 1e-3, "eps": 0.0}}],
     "steps": 60, "seed": 1},
    {"name": "fast", "groups": [{"shapes": [[5]], "options": {"lr": 0.05, "betas": [0.5, 0.9], "eps": 0.0}}],
     "steps": 100, "seed": 2},
    {"name": "no momentum", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.0, 0.99], "eps": 0.0}}],
     "steps": 30, "seed": 4},
    {"name": "slow second moment", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.95, 0.5], "eps": 0.0}}],
     "steps": 30, "seed": 5},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-eps", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MyAdam: ε (where it enters the update)"
# MyAdam: ε, with gradients small enough for its place to matter (torch divides by √v̂ + ε: outside the square root,
# after the bias correction). The autograder also runs the default eps over many steps and other betas.
check_optimizer("MyAdam", "Adam", [
    {"name": "tiny gradients", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.01, "eps": 1e-8}}],
     "steps": 10, "seed": 41, "grad_scale": 1e-8},
    {"name": "large eps", "groups": [{"shapes": [[4]], "options": {"lr": 0.01, "eps": 0.1}}],
     "steps": 10, "seed": 42, "grad_scale": 0.01},
])
print("MyAdam passes the visible tests of ε.")
### BEGIN HIDDEN TESTS
check_optimizer("MyAdam", "Adam", [
    {"name": "default eps, many steps", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 1e-3, "eps": 1e-8}}],
     "steps": 60, "seed": 1},
    {"name": "large eps, small gradients", "groups": [{"shapes": [[2, 2]], "options": {"lr": 0.01, "eps": 0.1}}],
     "steps": 40, "seed": 3, "grad_scale": 0.01},
    {"name": "tiny gradients, other betas", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-8}}],
     "steps": 30, "seed": 14, "grad_scale": 1e-7},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-weight-decay", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MyAdam: weight decay"
# MyAdam: weight decay, L2 added to the gradient (g ← g + λθ) as torch.optim.Adam does, not decoupled as in AdamW
# (eps=0). The autograder also runs other settings and many more steps.
check_optimizer("MyAdam", "Adam", [
    {"name": "weight decay", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.5}}],
     "steps": 10, "seed": 43},
])
print("MyAdam passes the visible tests of weight decay.")
### BEGIN HIDDEN TESTS
check_optimizer("MyAdam", "Adam", [
    {"name": "weight decay, many steps", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.5}}],
     "steps": 50, "seed": 6},
    {"name": "light weight decay, other betas",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.5, 0.9], "eps": 0.0, "weight_decay": 0.05}}],
     "steps": 30, "seed": 15},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-grad", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyAdam: p.grad left alone"
# MyAdam: step() leaves each p.grad as backward left it (torch never modifies it), also with weight decay on.
# The autograder also checks several groups and gradients zeroed in place.
check_grads_untouched("MyAdam", [
    {"name": "p.grad after each step", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.5}}],
     "steps": 3, "seed": 16},
])
print("MyAdam passes the visible tests of p.grad.")
### BEGIN HIDDEN TESTS
check_grads_untouched("MyAdam", [
    {"name": "p.grad, two groups, gradients zeroed in place",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.1}},
                {"shapes": [[2]], "options": {"lr": 0.01, "eps": 0.0}}],
     "steps": 5, "seed": 17, "zero_grad": "inplace"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-state", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MyAdam: state per parameter, settings per group, None gradients"
# MyAdam: each parameter keeps its own state, each group its own settings, and a parameter whose .grad is None is
# skipped (eps=0). The autograder also runs three parameters of one shape, a parameter that starts late, more steps.
check_optimizer("MyAdam", "Adam", [
    {"name": "same shapes, gradients None", "groups": [{"shapes": [[3], [3], [2]], "options": {"lr": 0.05, "eps": 0.0}}],
     "steps": 8, "seed": 45, "none_grads": [[1, 2], [2, 2], [4, 1]]},
    {"name": "two groups", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "betas": [0.8, 0.9], "eps": 0.0}},
                                      {"shapes": [[2]], "options": {"lr": 0.01, "eps": 0.0}}],
     "steps": 8, "seed": 46},
])
print("MyAdam passes the visible tests of state and groups.")
### BEGIN HIDDEN TESTS
check_optimizer("MyAdam", "Adam", [
    {"name": "same shapes", "groups": [{"shapes": [[3], [3], [3]], "options": {"lr": 0.05, "eps": 0.0}}],
     "steps": 30, "seed": 7, "none_grads": [[1, 1], [2, 1], [5, 2]]},
    {"name": "two groups", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "betas": [0.8, 0.9], "eps": 0.0}},
                                      {"shapes": [[2]], "options": {"lr": 0.01, "betas": [0.5, 0.99], "eps": 0.0}}],
     "steps": 40, "seed": 8},
    {"name": "late starter", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "eps": 0.0}}],
     "steps": 20, "seed": 9, "none_grads": [[k, 1] for k in range(1, 8)]},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-api", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MyAdam: closure, lr changed between steps, state_dict"
# MyAdam: step(closure) returns the closure's loss, an lr changed between steps is used at the next step, and a
# state_dict() round trip goes on where it stopped (eps=0). The autograder also runs longer and other settings.
check_optimizer("MyAdam", "Adam", [
    {"name": "closure", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0}}], "steps": 5, "seed": 47,
     "closure": True},
    {"name": "lr changed between steps", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0}}], "steps": 8,
     "seed": 48, "lr_changes": {"4": 0.01}},
    {"name": "state_dict round trip", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "eps": 0.0}}], "steps": 8,
     "seed": 49, "resume_at": 4},
])
print("MyAdam passes the visible tests of closure, lr changes and state_dict.")
### BEGIN HIDDEN TESTS
check_optimizer("MyAdam", "Adam", [
    {"name": "closure", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0}}], "steps": 10, "seed": 10,
     "closure": True},
    {"name": "scheduled lr", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0}}], "steps": 20, "seed": 11,
     "lr_changes": {"6": 0.01, "12": 0.2}},
    {"name": "resumed", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "eps": 0.0}}], "steps": 20, "seed": 12,
     "resume_at": 8},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-args", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyAdam: defaults and invalid settings"
# MyAdam: torch's defaults in param_groups, ValueError for invalid settings, once its plain steps match torch's.
# The autograder checks every setting.
check_runs("MyAdam", "Adam", {"groups": [{"shapes": [[3]], "options": {
    "lr": 0.1, "betas": [0.9, 0.999], "eps": 0.0, "weight_decay": 0.0}}], "steps": 2})
check_defaults("MyAdam", {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0})
check_rejects("MyAdam", invalid=[{"lr": -0.1}], valid=[{"lr": 0.0}])
print("MyAdam passes the visible tests of defaults and argument checks.")
### BEGIN HIDDEN TESTS
check_rejects("MyAdam",
              invalid=[{"lr": -1e-3}, {"eps": -1e-8}, {"betas": [1.0, 0.999]}, {"betas": [0.9, 1.0]},
                       {"betas": [-0.1, 0.999]}, {"weight_decay": -0.1}],
              valid=[{"lr": 0.0, "eps": 0.0, "betas": [0.0, 0.0], "weight_decay": 0.0}])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-float32", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyAdam: float32"
# MyAdam in float32 (run by the autograder): float32 parameters stay float32 and follow torch.optim.Adam.
### BEGIN HIDDEN TESTS
check_optimizer("MyAdam", "Adam", [
    {"name": "float32", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.01, "eps": 0.0}}],
     "steps": 30, "seed": 13, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "adam-own-work", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyAdam: your own implementation"
# MyAdam is your own implementation (run by the autograder): a class subclassing torch.optim.Optimizer whose steps follow
# torch's on a short run, while the autograder switches torch's optimizers off.
### BEGIN HIDDEN TESTS
check_own_implementation("MyAdam", "Adam", {"groups": [{"shapes": [[3]], "options": {"lr": 0.1}}], "steps": 3})
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nadam-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. `MyNAdam`
#
# NAdam is Adam with Nesterov momentum and a momentum *schedule*. With ψ = `momentum_decay`:
#
# $$\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right) \qquad \mu_{t+1} = \beta_1\left(1 - \tfrac12\, 0.96^{(t+1)\psi}\right) \qquad P_t = \prod_{i=1}^{t} \mu_i$$
#
# m and v are updated as in Adam (m with the plain β1), and with
# $d = \sqrt{v/(1-\beta_2^t)} + \varepsilon$:
#
# $$\theta \leftarrow \theta - \gamma\,\frac{1-\mu_t}{1-P_t}\,\frac{g}{d} - \gamma\,\frac{\mu_{t+1}}{1-P_t\,\mu_{t+1}}\,\frac{m}{d}$$
#
# P (the running product of the μ's) is state too, one per parameter.
#
# **Points: 20**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MyNAdam: the update (lr, betas, bias correction) | 4 |
# | MyNAdam: momentum schedule (momentum_decay) | 2 |
# | MyNAdam: ε (where it enters the update) | 2 |
# | MyNAdam: weight decay | 3 |
# | MyNAdam: p.grad left alone | 1 |
# | MyNAdam: state per parameter, settings per group, None gradients | 3 |
# | MyNAdam: closure, lr changed between steps, state_dict | 2 |
# | MyNAdam: defaults and invalid settings | 1 |
# | MyNAdam: float32 | 1 |
# | MyNAdam: your own implementation | 1 |

# %% nbgrader={"grade": false, "grade_id": "nadam-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyNAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
        ### BEGIN SOLUTION
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid betas: {betas}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay)
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
            beta1, beta2 = group["betas"]
            lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["mu_product"] = 1.0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                state["mu_product"] *= mu
                mu_product = state["mu_product"]
                state["exp_avg"].mul_(beta1).add_(grad, alpha=1 - beta1)
                state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = state["exp_avg_sq"].div(1 - beta2**t).sqrt_().add_(eps)  # one temporary
                p.addcdiv_(grad, denom, value=-lr * (1 - mu) / (1 - mu_product))
                p.addcdiv_(state["exp_avg"], denom, value=-lr * mu_next / (1 - mu_product * mu_next))
        return loss
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "nadam-update", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: the update (lr, betas, bias correction)"
# MyNAdam: one update and the moments, bias-corrected, with momentum_decay=0 (a constant μ = β1/2) and eps=0,
# so that the momentum schedule and ε are graded on their own. The autograder also runs other lrs and betas, many steps.
check_optimizer("MyNAdam", "NAdam", [
    {"name": "the update", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.1, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 10},
    {"name": "other betas", "groups": [{"shapes": [[4]], "options": {"lr": 0.05, "betas": [0.5, 0.9], "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 20, "seed": 40},
])
print("MyNAdam passes the visible tests of the update.")
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "small lr, many steps", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 2e-3, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 60, "seed": 21},
    {"name": "fast", "groups": [{"shapes": [[5]], "options": {"lr": 0.05, "betas": [0.6, 0.8], "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 100, "seed": 22},
    {"name": "no momentum", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.0, 0.99], "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 30, "seed": 24},
    {"name": "slow second moment", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.95, 0.5], "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 30, "seed": 25},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-schedule", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: momentum schedule (momentum_decay)"
# MyNAdam: the momentum schedule μ_t, μ_(t+1) and their running product, for several momentum_decay values (eps=0).
# The autograder also runs other values and many more steps.
check_optimizer("MyNAdam", "NAdam", [
    {"name": "default momentum_decay", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.1, "eps": 0.0, "momentum_decay": 4e-3}}],
     "steps": 10, "seed": 50},
    {"name": "fast schedule", "groups": [{"shapes": [[4]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.5}}],
     "steps": 20, "seed": 51},
])
print("MyNAdam passes the visible tests of the momentum schedule.")
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "fast schedule, many steps", "groups": [{"shapes": [[5]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.5}}],
     "steps": 100, "seed": 22},
    {"name": "other betas", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.6, 0.8], "eps": 0.0, "momentum_decay": 0.1}}],
     "steps": 40, "seed": 24},
    {"name": "default momentum_decay, many steps", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 2e-3, "eps": 0.0}}],
     "steps": 60, "seed": 21},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-eps", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: ε (where it enters the update)"
# MyNAdam: ε, with gradients small enough for its place to matter (torch divides by √v̂ + ε: outside the square root,
# after the bias correction). The autograder also runs the default eps over many steps and other betas.
check_optimizer("MyNAdam", "NAdam", [
    {"name": "tiny gradients", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.01, "eps": 1e-8, "momentum_decay": 0.0}}],
     "steps": 10, "seed": 41, "grad_scale": 1e-8},
    {"name": "large eps", "groups": [{"shapes": [[4]], "options": {"lr": 0.01, "eps": 0.1, "momentum_decay": 0.0}}],
     "steps": 10, "seed": 42, "grad_scale": 0.01},
])
print("MyNAdam passes the visible tests of ε.")
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "default eps, many steps", "groups": [{"shapes": [[4], [2, 3]], "options": {"lr": 1e-3, "eps": 1e-8, "momentum_decay": 0.0}}],
     "steps": 60, "seed": 21},
    {"name": "large eps, small gradients", "groups": [{"shapes": [[2, 2]], "options": {"lr": 0.01, "eps": 0.1, "momentum_decay": 0.0}}],
     "steps": 40, "seed": 23, "grad_scale": 0.01},
    {"name": "tiny gradients, other betas", "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-8, "momentum_decay": 0.0}}],
     "steps": 30, "seed": 34, "grad_scale": 1e-7},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-weight-decay", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: weight decay"
# MyNAdam: weight decay, L2 added to the gradient (g ← g + λθ) as torch.optim.NAdam does, not decoupled as in AdamW
# (eps=0). The autograder also runs other settings and many more steps.
check_optimizer("MyNAdam", "NAdam", [
    {"name": "weight decay", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.5, "momentum_decay": 0.0}}],
     "steps": 10, "seed": 43},
])
print("MyNAdam passes the visible tests of weight decay.")
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "weight decay, many steps", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.5, "momentum_decay": 0.0}}],
     "steps": 50, "seed": 26},
    {"name": "light weight decay, other betas",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.02, "betas": [0.5, 0.9], "eps": 0.0, "weight_decay": 0.05, "momentum_decay": 0.0}}],
     "steps": 30, "seed": 35},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-grad", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: p.grad left alone"
# MyNAdam: step() leaves each p.grad as backward left it (torch never modifies it), also with weight decay on.
# The autograder also checks several groups and gradients zeroed in place.
check_grads_untouched("MyNAdam", [
    {"name": "p.grad after each step", "groups": [{"shapes": [[3], [2, 2]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.5, "momentum_decay": 0.0}}],
     "steps": 3, "seed": 36},
])
print("MyNAdam passes the visible tests of p.grad.")
### BEGIN HIDDEN TESTS
check_grads_untouched("MyNAdam", [
    {"name": "p.grad, two groups, gradients zeroed in place",
     "groups": [{"shapes": [[3]], "options": {"lr": 0.03, "eps": 0.0, "weight_decay": 0.1, "momentum_decay": 0.0}},
                {"shapes": [[2]], "options": {"lr": 0.01, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 5, "seed": 37, "zero_grad": "inplace"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-state", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: state per parameter, settings per group, None gradients"
# MyNAdam: each parameter keeps its own state, each group its own settings, and a parameter whose .grad is None is
# skipped (eps=0). The autograder also runs three parameters of one shape, a parameter that starts late, more steps.
check_optimizer("MyNAdam", "NAdam", [
    {"name": "same shapes, gradients None", "groups": [{"shapes": [[3], [3], [2]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 8, "seed": 45, "none_grads": [[1, 2], [2, 2], [4, 1]]},
    {"name": "two groups", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "betas": [0.8, 0.9], "eps": 0.0, "momentum_decay": 0.0}},
                                      {"shapes": [[2]], "options": {"lr": 0.01, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 8, "seed": 46},
])
print("MyNAdam passes the visible tests of state and groups.")
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "same shapes", "groups": [{"shapes": [[3], [3], [3]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 30, "seed": 27, "none_grads": [[1, 1], [2, 1], [5, 2]]},
    {"name": "two groups", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "betas": [0.8, 0.9], "eps": 0.0, "momentum_decay": 0.0}},
                                      {"shapes": [[2]], "options": {"lr": 0.01, "betas": [0.5, 0.99], "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 40, "seed": 28},
    {"name": "late starter", "groups": [{"shapes": [[2], [2]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 20, "seed": 29, "none_grads": [[k, 1] for k in range(1, 8)]},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-api", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: closure, lr changed between steps, state_dict"
# MyNAdam: step(closure) returns the closure's loss, an lr changed between steps is used at the next step, and a
# state_dict() round trip goes on where it stopped (eps=0). The autograder also runs longer and other settings.
check_optimizer("MyNAdam", "NAdam", [
    {"name": "closure", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 5, "seed": 47,
     "closure": True},
    {"name": "lr changed between steps", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 8,
     "seed": 48, "lr_changes": {"4": 0.01}},
    {"name": "state_dict round trip", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 8,
     "seed": 49, "resume_at": 4},
])
print("MyNAdam passes the visible tests of closure, lr changes and state_dict.")
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "closure", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 10, "seed": 30,
     "closure": True},
    {"name": "scheduled lr", "groups": [{"shapes": [[3]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 20, "seed": 31,
     "lr_changes": {"6": 0.01, "12": 0.2}},
    {"name": "resumed", "groups": [{"shapes": [[3], [2]], "options": {"lr": 0.05, "eps": 0.0, "momentum_decay": 0.0}}], "steps": 20, "seed": 32,
     "resume_at": 8},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-args", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: defaults and invalid settings"
# MyNAdam: torch's defaults in param_groups, ValueError for invalid settings, once its plain steps match torch's.
# The autograder checks every setting.
check_runs("MyNAdam", "NAdam", {"groups": [{"shapes": [[3]], "options": {
    "lr": 0.1, "betas": [0.9, 0.999], "eps": 0.0, "weight_decay": 0.0, "momentum_decay": 0.0}}], "steps": 2})
check_defaults("MyNAdam", {"lr": 2e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3})
check_rejects("MyNAdam", invalid=[{"momentum_decay": -0.1}], valid=[{"momentum_decay": 0.0}])
print("MyNAdam passes the visible tests of defaults and argument checks.")
### BEGIN HIDDEN TESTS
check_rejects("MyNAdam",
              invalid=[{"lr": -1e-3}, {"eps": -1e-8}, {"betas": [1.0, 0.999]}, {"betas": [0.9, 1.0]},
                       {"weight_decay": -0.1}, {"momentum_decay": -4e-3}],
              valid=[{"lr": 0.0, "eps": 0.0, "betas": [0.0, 0.0], "weight_decay": 0.0, "momentum_decay": 0.0}])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-float32", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: float32"
# MyNAdam in float32 (run by the autograder): float32 parameters stay float32 and follow torch.optim.NAdam.
### BEGIN HIDDEN TESTS
check_optimizer("MyNAdam", "NAdam", [
    {"name": "float32", "groups": [{"shapes": [[4], [2, 2]], "options": {"lr": 0.01, "eps": 0.0, "momentum_decay": 0.0}}],
     "steps": 30, "seed": 33, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "nadam-own-work", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="MyNAdam: your own implementation"
# MyNAdam is your own implementation (run by the autograder): a class subclassing torch.optim.Optimizer whose steps follow
# torch's on a short run, while the autograder switches torch's optimizers off.
### BEGIN HIDDEN TESTS
check_own_implementation("MyNAdam", "NAdam", {"groups": [{"shapes": [[3]], "options": {"lr": 0.1}}], "steps": 3})
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "experiments-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Experiments
#
# Run your optimizers and torch's from the same start on three test functions, with two
# settings each, and look at the paths (○ start, ✕ end). Where yours and torch's differ, a test
# above will tell you why. The functions: f1(x, y) = x² + y² + 10 sin 5x + 10 cos 5y,
# Rosenbrock (1 − x)² + 100(y − x²)² and Himmelblau (x² + y − 11)² + (x + y² − 7)².

# %% nbgrader={"grade": false, "grade_id": "setup-course", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: course/functions.py course/plots.py

# %%
SETTINGS = {"lr=0.05": {"lr": 0.05}, "lr=0.3, betas=(0.5, 0.9)": {"lr": 0.3, "betas": (0.5, 0.9)}}
for fname, (fn, xs, ys, start) in TEST_FUNCTIONS.items():
    for label, options in SETTINGS.items():
        paths = {
            "MyAdam": trajectory(MyAdam, fn, start, **options),
            "torch Adam": trajectory(torch.optim.Adam, fn, start, **options),
            "MyNAdam": trajectory(MyNAdam, fn, start, **options),
            "torch NAdam": trajectory(torch.optim.NAdam, fn, start, **options),
        }
        contour_with_paths(fn, xs, ys, paths, title=f"{fname}, {label}", log=fname != "f1", height=380).show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "compare-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question (graded by hand, 4 points).** Compare Adam and NAdam on the three functions. Which one
# gets closer to a minimum in 200 steps, and why? What do the larger learning rate and the smaller
# β's change? Answer in a few sentences in the cell below.
#
# *Rubric (4 points, one each):* (1) which of Adam and NAdam gets closer, explained by what NAdam's
# update does differently; (2) what the larger learning rate changes on f1, and why; (3) what the
# smaller β's change in the paths, and why; (4) a comparison backed by what the figures show.

# %% [markdown] nbgrader={"grade": true, "grade_id": "compare-answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# NAdam applies the momentum term one step ahead, so on the Rosenbrock valley it corrects its
# direction sooner and oscillates less than Adam. On f1 a small learning rate stops both in the
# ripple nearest to the start; lr = 0.3 lets them jump over ripples towards the centre. Smaller
# β's shorten the memory of both moments, so the steps react faster and the paths are noisier.
#
# *Notes for graders (instructors only):* one point each for (1) NAdam's look-ahead (the μ_{t+1} term) turning
# earlier / overshooting less in a curved valley, (2) the larger lr jumping over f1's ripples while
# the small one stops in the nearest local minimum, (3) smaller β's forgetting faster (noisier,
# more reactive paths), (4) a comparison backed by what the figures show.
