# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment: learning-rate schedules
#
# In this assignment you write four learning-rate schedulers as subclasses of
# `torch.optim.lr_scheduler.LRScheduler`:
#
# * `MyStepLR(optimizer, step_size, gamma=0.1)`: step decay, like `torch.optim.lr_scheduler.StepLR`;
# * `MyExponentialLR(optimizer, gamma)`: exponential decay, like `ExponentialLR`;
# * `MyCosineAnnealingLR(optimizer, T_max, eta_min=0.0)`: cosine annealing, like `CosineAnnealingLR`;
# * `MyWarmupCosine(optimizer, warmup_steps, T_max, start_factor=0.1, eta_min=0.0)`: a linear warm-up
#   followed by cosine annealing, like torch's `LinearLR` and `CosineAnnealingLR` run one after the
#   other by a `SequentialLR`.
#
# They must set the same learning rates as torch's, epoch for epoch: in every parameter group (each
# group has its own initial lr), right after construction and after every `scheduler.step()`, also
# past `T_max`; `get_last_lr()` must return them; and a scheduler saved with `state_dict()` and loaded
# into a new one must go on where it stopped. Do not use torch's schedulers other than the base
# class `LRScheduler` (not `StepLR`, `LambdaLR`, `SequentialLR`, ...): the autograder switches them
# off, so a scheduler built on them fails its tests there, and is flagged.
# Compare with torch's in a cell of your own, not in an answer cell: there the call would stop the cell.
#
# **How the tests grade.** Each test cell grades one feature, named in its title ("MyStepLR: step
# decay", "Schedules: state_dict() round trip"), and is worth the points listed under each
# exercise. The `state_dict()` test compares your resumed run with your own run without the round
# trip, so a bug in a schedule costs that schedule's points, not the resume test's too. The visible
# part of each test runs here, in a few seconds; the autograder adds hidden cases of the same
# feature, and its feedback names each failed test with its message.
#
# **How to read a failing test.** Each message names the scheduler and its settings, the param
# groups' initial lrs, the epoch (the number of `step()` calls since construction) and the group
# that differs, with your lrs and torch's over the last few epochs (printed with as many digits as
# it takes for them to differ), and a hint where the pattern is known: an lr changed from outside
# or a second scheduler (yours then equals a run without the change: a closed form), a `state_dict()`
# round trip, epoch 0, lrs one epoch early or late, the cosine past `T_max`, `eta_min` ignored (yours
# then equals torch's with `eta_min=0`), the cosine phase of the warm-up, group 0 right but not the
# others.
#
# **How `LRScheduler` works** (read this first). `LRScheduler.__init__(optimizer)` stores the
# optimizer in `self.optimizer`, each group's initial lr in `group["initial_lr"]` and in the list
# `self.base_lrs` (one entry per param group), sets `self.last_epoch = -1` and calls `self.step()`
# once. Every `step()` adds one to `self.last_epoch`, calls `self.get_lr()`, writes the list it
# returns (one lr per param group, in order) into the groups' `"lr"`, and keeps a copy for
# `get_last_lr()`. So *epoch 0* is the state right after construction, and after e calls of
# `step()` the scheduler is at epoch e = `self.last_epoch`. What you write:
#
# * `__init__`: store the settings on `self` **before** calling `super().__init__(optimizer)` (which
#   already calls your `get_lr()`);
# * `get_lr()`: return the list of learning rates for epoch `self.last_epoch`.
#
# `state_dict()` saves every attribute of `self` except the optimizer, and `load_state_dict()` puts
# them back: keep your scheduler's whole state in plain attributes and both work as they are.

# %% nbgrader={"grade": false, "grade_id": "setup-colab", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Setup. On Colab this uses Colab's own torch and installs nothing; elsewhere it only reports.
import sys

import torch

IN_COLAB = "google.colab" in sys.modules
print(f"torch {torch.__version__}" + (" on Colab" if IN_COLAB else "")
      + ". Schedulers do no tensor work: the tests run on the CPU.")

# %% nbgrader={"grade": false, "grade_id": "setup-imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math

import numpy as np
import plotly.graph_objects as go
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: autograder/checks/core.py autograder/checks/schedulers.py

# %% [markdown] nbgrader={"grade": false, "grade_id": "step-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. `MyStepLR`: step decay
#
# Multiply the learning rate by γ = `gamma` every s = `step_size` epochs. With η_e the lr of a
# group at epoch e:
#
# $$\eta_0 = \text{the group's initial lr}, \qquad
# \eta_e = \begin{cases} \gamma\,\eta_{e-1} & \text{if } e \bmod s = 0 \\ \eta_{e-1} & \text{otherwise} \end{cases}
# \qquad\text{so}\qquad \eta_e = \eta_{\text{base}}\,\gamma^{\lfloor e / s \rfloor}.$$
#
# torch computes the new lr from the group's **current** lr, `group["lr"]`, not from the closed
# form: that is what lets another scheduler (or you, by hand) change the lr in between, and the
# schedules then multiply (torch's `ChainedScheduler` relies on it). Do the same: the hidden tests
# change the lr from outside between epochs and chain your schedulers on one optimizer.
#
# **Points: 5**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MyStepLR: step decay | 5 |

# %% nbgrader={"grade": false, "grade_id": "step-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyStepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        ### BEGIN SOLUTION
        self.step_size = step_size
        self.gamma = gamma
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """One learning rate per param group, for epoch self.last_epoch."""
        ### BEGIN SOLUTION
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch > 0 and self.last_epoch % self.step_size == 0:
            return [lr * self.gamma for lr in lrs]
        return lrs
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "step-schedule", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false} title="MyStepLR: step decay"
# MyStepLR: the lr multiplied by gamma every step_size epochs, in every param group, from construction on.
# The autograder also runs many epochs, other step sizes and gammas, three groups.
check_scheduler("MyStepLR", [
    {"lrs": [0.1], "options": {"step_size": 3, "gamma": 0.5}, "epochs": 10},
    {"lrs": [0.1, 0.01], "options": {"step_size": 2}, "epochs": 7},
])
print("MyStepLR passes the visible tests.")
### BEGIN HIDDEN TESTS
check_scheduler("MyStepLR", [
    {"name": "three groups", "lrs": [0.1, 0.02, 0.5], "options": {"step_size": 3, "gamma": 0.5}, "epochs": 60},
    {"name": "every epoch", "lrs": [0.3], "options": {"step_size": 1, "gamma": 0.9}, "epochs": 40},
    {"name": "default gamma", "lrs": [1.0, 0.05], "options": {"step_size": 7}, "epochs": 50},
    {"name": "long steps", "lrs": [0.05, 1.0], "options": {"step_size": 10, "gamma": 0.3}, "epochs": 45},
    {"name": "growing", "lrs": [0.01], "options": {"step_size": 4, "gamma": 1.5}, "epochs": 20},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "exponential-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. `MyExponentialLR`: exponential decay
#
# Multiply the learning rate by γ at every epoch, from the group's current lr:
#
# $$\eta_0 = \text{the group's initial lr}, \qquad \eta_e = \gamma\,\eta_{e-1}\quad(e \ge 1)
# \qquad\text{so}\qquad \eta_e = \eta_{\text{base}}\,\gamma^{e}.$$
#
# Mind epoch 0: `super().__init__` calls your `get_lr()` once already, and that call must leave the
# lr where it is.
#
# **Points: 3**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MyExponentialLR: exponential decay | 3 |

# %% nbgrader={"grade": false, "grade_id": "exponential-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        ### BEGIN SOLUTION
        self.gamma = gamma
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """One learning rate per param group, for epoch self.last_epoch."""
        ### BEGIN SOLUTION
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0:
            return lrs
        return [lr * self.gamma for lr in lrs]
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "exponential-schedule", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="MyExponentialLR: exponential decay"
# MyExponentialLR: the lr multiplied by gamma at every epoch (not at construction), in every param group.
# The autograder also runs many epochs, other gammas, three groups.
check_scheduler("MyExponentialLR", [
    {"lrs": [0.1], "options": {"gamma": 0.9}, "epochs": 10},
    {"lrs": [0.1, 0.5], "options": {"gamma": 0.8}, "epochs": 5},
])
print("MyExponentialLR passes the visible tests.")
### BEGIN HIDDEN TESTS
check_scheduler("MyExponentialLR", [
    {"name": "three groups", "lrs": [0.1, 0.02, 0.5], "options": {"gamma": 0.95}, "epochs": 100},
    {"name": "fast", "lrs": [1.0, 0.3], "options": {"gamma": 0.5}, "epochs": 30},
    {"name": "constant", "lrs": [0.1], "options": {"gamma": 1.0}, "epochs": 10},
    {"name": "growing", "lrs": [0.001, 0.01], "options": {"gamma": 1.1}, "epochs": 25},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "cosine-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. `MyCosineAnnealingLR`: cosine annealing
#
# Half a cosine from the group's initial lr down to η_min = `eta_min` in T = `T_max` epochs:
#
# $$\eta_e = \eta_{\min} + \left(\eta_{\text{base}} - \eta_{\min}\right)\frac{1 + \cos(\pi e / T)}{2}.$$
#
# torch does **not** stop at `T_max`: after T epochs the cosine goes on, back up to the initial lr
# at 2T, down again at 3T, and so on. Like the two schedules above, torch computes each new lr from
# the group's current lr (so that an lr changed from outside carries on):
#
# $$\eta_0 = \text{the group's initial lr}, \qquad
# \eta_e = \eta_{\min} + \left(\eta_{e-1} - \eta_{\min}\right)\frac{1 + \cos(\pi e / T)}{1 + \cos(\pi (e-1) / T)} .$$
#
# The denominator is 0 when e − 1 is an odd multiple of T, i.e. $(e - 1 - T) \bmod 2T = 0$ (the
# bottom of the cosine, where the ratio is 0/0). There torch adds the closed form's rise over one
# epoch instead: $\eta_e = \eta_{e-1} + (\eta_{\text{base}} - \eta_{\min})\,(1 - \cos(\pi/T))/2$.
# Without outside changes both forms give the closed form above.
#
# **Points: 7**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MyCosineAnnealingLR: down to eta_min | 5 |
# | MyCosineAnnealingLR: past T_max | 2 |

# %% nbgrader={"grade": false, "grade_id": "cosine-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyCosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        ### BEGIN SOLUTION
        self.T_max = T_max
        self.eta_min = eta_min
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """One learning rate per param group, for epoch self.last_epoch."""
        ### BEGIN SOLUTION
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if e == 0:
            return lrs
        if (e - 1 - T) % (2 * T) == 0:
            rise = (1 - math.cos(math.pi / T)) / 2
            return [lr + (base - eta_min) * rise for lr, base in zip(lrs, self.base_lrs)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [eta_min + (lr - eta_min) * ratio for lr in lrs]
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "cosine-schedule", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false} title="MyCosineAnnealingLR: down to eta_min"
# MyCosineAnnealingLR up to T_max: half a cosine from each group's initial lr down to eta_min.
# The autograder also runs other T_max and eta_min, three groups, T_max = 1.
check_scheduler("MyCosineAnnealingLR", [
    {"lrs": [0.1], "options": {"T_max": 10, "eta_min": 0.01}, "epochs": 10},
    {"lrs": [0.1, 0.02], "options": {"T_max": 4}, "epochs": 4},
])
print("MyCosineAnnealingLR passes the visible tests up to T_max.")
### BEGIN HIDDEN TESTS
check_scheduler("MyCosineAnnealingLR", [
    {"name": "three groups", "lrs": [0.1, 0.02, 0.5], "options": {"T_max": 20}, "epochs": 20},
    {"name": "eta_min", "lrs": [0.1, 0.03], "options": {"T_max": 50, "eta_min": 0.005}, "epochs": 50},
    {"name": "eta_min above a group's lr", "lrs": [0.1, 0.02], "options": {"T_max": 7, "eta_min": 0.05}, "epochs": 7},
    {"name": "one-epoch cosine", "lrs": [0.3], "options": {"T_max": 1, "eta_min": 0.01}, "epochs": 1},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "cosine-beyond", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="MyCosineAnnealingLR: past T_max"
# MyCosineAnnealingLR past T_max: torch's cosine goes back up (it does not stay at eta_min), through its bottom epoch.
# The autograder also runs several periods and T_max = 1.
check_scheduler("MyCosineAnnealingLR", [
    {"lrs": [0.1, 0.02], "options": {"T_max": 4}, "epochs": 9},
])
print("MyCosineAnnealingLR passes the visible tests past T_max.")
### BEGIN HIDDEN TESTS
check_scheduler("MyCosineAnnealingLR", [
    {"name": "past T_max", "lrs": [0.1, 0.02], "options": {"T_max": 5, "eta_min": 0.01}, "epochs": 40},
    {"name": "past T_max, default eta_min", "lrs": [0.2], "options": {"T_max": 10}, "epochs": 35},
    {"name": "T_max = 1", "lrs": [0.3, 0.1], "options": {"T_max": 1, "eta_min": 0.01}, "epochs": 6},
    {"name": "three periods", "lrs": [0.1, 0.05, 0.4], "options": {"T_max": 3, "eta_min": 0.02}, "epochs": 30},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "warmup-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. `MyWarmupCosine`: linear warm-up, then cosine
#
# Large learning rates often make the first steps of training blow up (Adam's second-moment
# estimates, for one, rest on very few gradients then). A *warm-up* starts at a fraction
# `start_factor` of the lr and grows it linearly to the full lr over W = `warmup_steps` epochs;
# cosine annealing over T = `T_max` epochs follows:
#
# $$\eta_e = \begin{cases}
# \eta_{\text{base}}\left(s + (1 - s)\,\dfrac{e}{W}\right) & 0 \le e < W \\[2ex]
# \eta_{\min} + \left(\eta_{\text{base}} - \eta_{\min}\right)\dfrac{1 + \cos(\pi (e - W) / T)}{2} & e \ge W
# \end{cases}$$
#
# with s = `start_factor` (0 < s ≤ 1) and W ≥ 1: the lr reaches η_base at epoch W, η_min at epoch
# W + T, and (like torch's cosine) goes on past it. In torch this is
#
# ```python
# warmup = LinearLR(optimizer, start_factor=s, end_factor=1.0, total_iters=W)
# cosine = CosineAnnealingLR(optimizer, T_max=T, eta_min=eta_min)
# SequentialLR(optimizer, [warmup, cosine], milestones=[W])
# ```
#
# which is what your class is compared with. Here you may compute the lr from `self.base_lrs` with
# the formula above (this schedule is not tested with lrs changed from outside).
#
# **Points: 4**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | MyWarmupCosine: warm-up, then cosine | 4 |

# %% nbgrader={"grade": false, "grade_id": "warmup-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MyWarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, T_max, start_factor=0.1, eta_min=0.0):
        ### BEGIN SOLUTION
        self.warmup_steps = warmup_steps
        self.T_max = T_max
        self.start_factor = start_factor
        self.eta_min = eta_min
        ### END SOLUTION
        super().__init__(optimizer)

    def get_lr(self):
        """One learning rate per param group, for epoch self.last_epoch."""
        ### BEGIN SOLUTION
        e, W = self.last_epoch, self.warmup_steps
        if e < W:
            factor = self.start_factor + (1 - self.start_factor) * e / W
            return [base * factor for base in self.base_lrs]
        cosine = (1 + math.cos(math.pi * (e - W) / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "warmup-schedule", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="MyWarmupCosine: warm-up, then cosine"
# MyWarmupCosine: the linear warm-up from start_factor·lr, then the cosine counted from the end of the warm-up, in
# every group. The autograder also runs defaults, eta_min, one warm-up epoch, three groups, past the end.
check_scheduler("MyWarmupCosine", [
    {"lrs": [0.1], "options": {"warmup_steps": 3, "T_max": 6, "start_factor": 0.2}, "epochs": 9},
    {"lrs": [0.1, 0.03], "options": {"warmup_steps": 2, "T_max": 4, "eta_min": 0.001}, "epochs": 6},
])
print("MyWarmupCosine passes the visible tests.")
### BEGIN HIDDEN TESTS
check_scheduler("MyWarmupCosine", [
    {"name": "two groups, past the end", "lrs": [0.1, 0.03],
     "options": {"warmup_steps": 5, "T_max": 10, "start_factor": 0.2, "eta_min": 0.001}, "epochs": 40},
    {"name": "defaults", "lrs": [0.5], "options": {"warmup_steps": 4, "T_max": 12}, "epochs": 16},
    {"name": "one warm-up epoch", "lrs": [0.2, 0.05], "options": {"warmup_steps": 1, "T_max": 5}, "epochs": 14},
    {"name": "long warm-up, three groups", "lrs": [0.1, 0.02, 1.0],
     "options": {"warmup_steps": 10, "T_max": 30, "start_factor": 0.01}, "epochs": 45},
    {"name": "start_factor 1", "lrs": [0.1], "options": {"warmup_steps": 4, "T_max": 8, "start_factor": 1.0,
                                                         "eta_min": 0.02}, "epochs": 20},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "together-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Saving, resuming, chaining
#
# Training runs are interrupted and resumed: `torch.save` the optimizer's and the scheduler's
# `state_dict()`, later build a new optimizer and a new scheduler the same way as at the start
# (the scheduler's construction resets the lrs), load the optimizer's state, then the scheduler's,
# and go on. Your schedulers must then continue exactly where the saved ones stopped: the tests
# check all four classes this way (the visible one `MyStepLR`), against your own run without the
# round trip. And because `MyStepLR`, `MyExponentialLR` and `MyCosineAnnealingLR` compute each new lr
# from the current one, an lr changed by hand between two epochs carries on, and two of them on one
# optimizer (both `step()`ped every epoch, as torch's `ChainedScheduler` does) combine exactly as
# torch's do: the tests check that too, against torch's.
#
# **Points: 9**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | Schedules: state_dict() round trip | 3 |
# | Schedules: an lr changed from outside carries on, chained schedulers | 4 |
# | Schedules: your own implementation | 2 |

# %% nbgrader={"grade": true, "grade_id": "schedules-resume", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="Schedules: state_dict() round trip"
# Each of the four schedulers, saved with state_dict() and loaded into a new optimizer and scheduler, goes on exactly as
# your own run without the round trip would. The autograder also resumes at other epochs, past T_max, in the warm-up.
check_scheduler("MyStepLR", [
    {"name": "resumed between decays", "lrs": [0.1, 0.02], "options": {"step_size": 3, "gamma": 0.5},
     "epochs": 10, "resume_at": 4},
])
print("MyStepLR passes the visible test of a state_dict() round trip.")
### BEGIN HIDDEN TESTS
check_scheduler("MyStepLR", [
    {"name": "resumed between decays", "lrs": [0.1, 0.02], "options": {"step_size": 3, "gamma": 0.5},
     "epochs": 20, "resume_at": 4},
    {"name": "resumed at a decay", "lrs": [0.1], "options": {"step_size": 3, "gamma": 0.5}, "epochs": 12, "resume_at": 6},
])
check_scheduler("MyExponentialLR", [
    {"name": "resumed", "lrs": [0.1, 0.5], "options": {"gamma": 0.8}, "epochs": 20, "resume_at": 7},
])
check_scheduler("MyCosineAnnealingLR", [
    {"name": "resumed", "lrs": [0.1, 0.02], "options": {"T_max": 10, "eta_min": 0.005}, "epochs": 30, "resume_at": 4},
    {"name": "resumed past T_max", "lrs": [0.1], "options": {"T_max": 6}, "epochs": 20, "resume_at": 8},
])
check_scheduler("MyWarmupCosine", [
    {"name": "resumed in the warm-up", "lrs": [0.1, 0.02],
     "options": {"warmup_steps": 5, "T_max": 10, "start_factor": 0.2, "eta_min": 0.001}, "epochs": 20, "resume_at": 2},
    {"name": "resumed in the cosine", "lrs": [0.1, 0.02],
     "options": {"warmup_steps": 5, "T_max": 10, "start_factor": 0.2}, "epochs": 20, "resume_at": 9},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "schedules-chaining", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="Schedules: an lr changed from outside carries on, chained schedulers"
# MyStepLR, MyExponentialLR and MyCosineAnnealingLR compute each lr from the group's current one: an lr changed by hand
# carries on, and two schedulers on one optimizer combine as torch's do. The autograder also runs more changes and chains.
check_scheduler("MyStepLR", [
    {"name": "lr changed by hand", "lrs": [0.1], "options": {"step_size": 3, "gamma": 0.5}, "epochs": 8,
     "lr_changes": {"4": [0.5]}},
])
check_scheduler("MyCosineAnnealingLR", [
    {"name": "lr changed by hand", "lrs": [0.1], "options": {"T_max": 8, "eta_min": 0.01}, "epochs": 8,
     "lr_changes": {"3": [0.3]}},
])
check_chained_schedulers([
    {"name": "exponential then step", "lrs": [0.1],
     "schedulers": [["MyExponentialLR", {"gamma": 0.9}], ["MyStepLR", {"step_size": 3, "gamma": 0.5}]], "epochs": 7},
])
print("Your schedulers pass the visible tests of outside changes and chaining.")
### BEGIN HIDDEN TESTS
check_scheduler("MyStepLR", [
    {"name": "lr changed by hand", "lrs": [0.1, 0.02], "options": {"step_size": 3, "gamma": 0.5}, "epochs": 15,
     "lr_changes": {"4": [0.5, 0.05], "9": [0.2, 0.2]}},
])
check_scheduler("MyExponentialLR", [
    {"name": "lr changed by hand", "lrs": [0.1, 0.02], "options": {"gamma": 0.9}, "epochs": 15,
     "lr_changes": {"5": [0.3, 0.01]}},
])
check_scheduler("MyCosineAnnealingLR", [
    {"name": "lr changed by hand", "lrs": [0.1, 0.02], "options": {"T_max": 12, "eta_min": 0.01}, "epochs": 12,
     "lr_changes": {"5": [0.3, 0.05]}},
])
check_chained_schedulers([
    {"name": "exponential then step", "lrs": [0.1, 0.02],
     "schedulers": [["MyExponentialLR", {"gamma": 0.9}], ["MyStepLR", {"step_size": 3, "gamma": 0.5}]], "epochs": 20},
    {"name": "step then cosine", "lrs": [0.1, 0.3],
     "schedulers": [["MyStepLR", {"step_size": 4, "gamma": 0.5}], ["MyCosineAnnealingLR", {"T_max": 15}]], "epochs": 15},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "schedules-own-work", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="Schedules: your own implementation"
# Your four schedulers are your own (run by the autograder): subclasses of LRScheduler built on none of torch's schedulers
# (the autograder also switches those off and counts their calls).
### BEGIN HIDDEN TESTS
check_scheduler_own_work("MyStepLR", {"step_size": 2, "gamma": 0.5})
check_scheduler_own_work("MyExponentialLR", {"gamma": 0.9})
check_scheduler_own_work("MyCosineAnnealingLR", {"T_max": 10, "eta_min": 0.01})
check_scheduler_own_work("MyWarmupCosine", {"warmup_steps": 2, "T_max": 10})
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "experiments-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Experiments (not graded)
#
# **Your schedules next to torch's.** The learning rate of each schedule over 40 epochs, starting
# from lr = 1: yours as lines with dots, torch's dashed on top. Where they part, a test above says why.

# %% nbgrader={"grade": false, "grade_id": "setup-course", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: course/functions.py course/plots.py course/schedules.py

# %%
from torch.optim import lr_scheduler

EPOCHS = 40
SCHEDULES = {  # label -> (yours, torch's), each a function of the optimizer
    "step (step_size=8, γ=0.5)": (lambda opt: MyStepLR(opt, step_size=8, gamma=0.5),
                                  lambda opt: lr_scheduler.StepLR(opt, step_size=8, gamma=0.5)),
    "exponential (γ=0.93)": (lambda opt: MyExponentialLR(opt, gamma=0.93),
                             lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.93)),
    "cosine (T_max=30, eta_min=0.05)": (lambda opt: MyCosineAnnealingLR(opt, T_max=30, eta_min=0.05),
                                        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=30, eta_min=0.05)),
    "warm-up 5 + cosine 25": (lambda opt: MyWarmupCosine(opt, warmup_steps=5, T_max=25, start_factor=0.1),
                              lambda opt: torch_warmup_cosine(opt, warmup_steps=5, T_max=25, start_factor=0.1)),
}
curves = {}
for label, (yours, theirs) in SCHEDULES.items():
    curves[f"{label}"] = schedule_lrs(yours, EPOCHS)
    curves[f"torch {label}"] = schedule_lrs(theirs, EPOCHS)
lr_figure(curves, title="Learning rate per epoch (yours: lines with dots; torch's: dashed)", height=420).show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "optimizers-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Training with a schedule.** A small MLP (64 pixels → 64 ReLU units → 10 classes) learns
# scikit-learn's 8×8 handwritten digits (1000 training, 300 validation and 497 test images; they
# ship with scikit-learn, nothing is downloaded) for 20 epochs of minibatches of 64, with one
# `scheduler.step()` per epoch, with SGD (momentum 0.9), Adam and NAdam at deliberately large
# learning rates.
#
# The next cell holds *your* optimizers from the earlier chapters: paste your `MySGD` (momentum
# chapter), `MyAdam` and `MyNAdam` (Adam chapter) into it, in place of `raise NotImplementedError()`
# and indented under `try:` (select the pasted lines and press Tab). Until you do, the experiments
# use torch's optimizers in their place. This cell is not graded. The classes, as their chapters
# define them:
#
# ```python
# class MySGD(Optimizer):
#     def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
# class MyAdam(Optimizer):
#     def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
# class MyNAdam(Optimizer):
#     def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
# # and in each of them
#     def step(self, closure=None):
# ```

# %% nbgrader={"grade": false, "grade_id": "optimizers-paste", "locked": false, "schema_version": 3, "solution": true, "task": false}
try:
    ### BEGIN SOLUTION
    class MySGD(Optimizer):
        def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
            super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                          weight_decay=weight_decay, nesterov=nesterov))

        @torch.no_grad()
        def step(self, closure=None):
            loss = torch.enable_grad()(closure)() if closure is not None else None
            for group in self.param_groups:
                mu = group["momentum"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    d_p = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                    if mu != 0:
                        state = self.state[p]
                        if "momentum_buffer" in state:
                            state["momentum_buffer"].mul_(mu).add_(d_p, alpha=1 - group["dampening"])
                        else:
                            state["momentum_buffer"] = d_p.clone()
                        buf = state["momentum_buffer"]
                        d_p = d_p.add(buf, alpha=mu) if group["nesterov"] else buf
                    p.add_(d_p, alpha=-group["lr"])
            return loss

    class MyAdam(Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

        @torch.no_grad()
        def step(self, closure=None):
            loss = torch.enable_grad()(closure)() if closure is not None else None
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                    state = self.state[p]
                    if not state:
                        state.update(step=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                    state["step"] += 1
                    state["m"].lerp_(g, 1 - b1)
                    state["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = (state["v"] / (1 - b2 ** state["step"])).sqrt_().add_(group["eps"])
                    p.addcdiv_(state["m"], denom, value=-group["lr"] / (1 - b1 ** state["step"]))
            return loss

    class MyNAdam(Optimizer):
        def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                          momentum_decay=momentum_decay))

        @torch.no_grad()
        def step(self, closure=None):
            loss = torch.enable_grad()(closure)() if closure is not None else None
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                    state = self.state[p]
                    if not state:
                        state.update(step=0, mu_product=1.0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                    state["step"] += 1
                    t = state["step"]
                    mu = b1 * (1 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
                    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * group["momentum_decay"]))
                    state["mu_product"] *= mu
                    state["m"].lerp_(g, 1 - b1)
                    state["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = (state["v"] / (1 - b2**t)).sqrt_().add_(group["eps"])
                    p.addcdiv_(g, denom, value=-group["lr"] * (1 - mu) / (1 - state["mu_product"]))
                    p.addcdiv_(state["m"], denom,
                               value=-group["lr"] * mu_next / (1 - state["mu_product"] * mu_next))
            return loss
    ### END SOLUTION
except NotImplementedError:
    MySGD, MyAdam, MyNAdam = torch.optim.SGD, torch.optim.Adam, torch.optim.NAdam
    print("The experiments use torch's SGD, Adam and NAdam as MySGD, MyAdam and MyNAdam: "
          "paste your own classes into this cell to compare them.")

# %% [markdown] nbgrader={"grade": false, "grade_id": "training-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# For each optimizer: the training loss (left, log axis) and the validation accuracy (right) after
# each epoch, with a constant lr and with each schedule: your optimizer with your scheduler as solid
# lines, torch's optimizer with torch's scheduler dashed (they should lie on top of each other).
# The schedules are set for 20 epochs: step decay ×0.3 every 5 epochs, exponential decay ×0.8 per
# epoch, a cosine over the 20 epochs, and a 3-epoch warm-up from 5 % of the lr before a 17-epoch
# cosine. This takes about half a minute.

# %%
TRAIN_EPOCHS = 20
RUNS = {  # label -> (yours, torch's)
    "constant": (None, None),
    "step": (lambda opt: MyStepLR(opt, step_size=5, gamma=0.3), lambda opt: lr_scheduler.StepLR(opt, 5, gamma=0.3)),
    "exponential": (lambda opt: MyExponentialLR(opt, gamma=0.8), lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.8)),
    "cosine": (lambda opt: MyCosineAnnealingLR(opt, T_max=TRAIN_EPOCHS),
               lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=TRAIN_EPOCHS)),
    "warm-up + cosine": (lambda opt: MyWarmupCosine(opt, 3, TRAIN_EPOCHS - 3, start_factor=0.05),
                         lambda opt: torch_warmup_cosine(opt, 3, TRAIN_EPOCHS - 3, start_factor=0.05)),
}
OPTIMIZERS = {  # label -> (yours, torch's, settings)
    "SGD, lr=0.6, momentum=0.9": (MySGD, torch.optim.SGD, {"lr": 0.6, "momentum": 0.9}),
    "Adam, lr=0.1": (MyAdam, torch.optim.Adam, {"lr": 0.1}),
    "NAdam, lr=0.1": (MyNAdam, torch.optim.NAdam, {"lr": 0.1}),
}
digits = digits_data()
results = {}
for opt_label, (mine, theirs, settings) in OPTIMIZERS.items():
    histories = {}
    for label, (my_schedule, torch_schedule) in RUNS.items():
        histories[label, "yours"] = train_digits(mine, my_schedule, data=digits, epochs=TRAIN_EPOCHS, **settings)
        histories[label, "torch"] = train_digits(theirs, torch_schedule, data=digits, epochs=TRAIN_EPOCHS, **settings)
    results[opt_label] = histories
    curves_figure(histories, title=opt_label).show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The final numbers (your optimizer with your scheduler). With these large learning rates a
# constant lr keeps bouncing around: the loss stalls and the validation accuracy wanders from epoch
# to epoch; every decaying schedule lets the last epochs settle. The warm-up's first epoch is slower
# (a twentieth of the lr), and then it catches up. The epoch to report is chosen on the validation
# set (`chosen_epoch`), and the test accuracy is that epoch's: the best test accuracy over the
# epochs would be an optimistic number, chosen on the very data it claims to measure.

# %%
for opt_label, histories in results.items():
    print(opt_label)
    for (label, who), history in histories.items():
        if who == "yours":
            epoch = chosen_epoch(history)  # the best validation accuracy
            print(f"  {label:>17}: training loss {history['train_loss'][-1]:.2e}, epoch {epoch:2d} "
                  f"chosen on validation ({history['val_acc'][epoch - 1]:.1%}), "
                  f"its test accuracy {history['test_acc'][epoch - 1]:.1%}")
