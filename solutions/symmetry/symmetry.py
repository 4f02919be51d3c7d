# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment: what a constant initialization does to a network
#
# Take the 3-layer perceptron
#
# $$y = \sigma_2\!\left(\sigma_1\!\left(x^\top W_1 + b_1\right)^{\!\top} W_2 + b_2\right)^{\!\top} W_3 + b_3,
# \qquad W_1 \in \mathbb{R}^{d\times h_1},\ W_2 \in \mathbb{R}^{h_1\times h_2},\ W_3 \in \mathbb{R}^{h_2\times k},$$
#
# set **every weight to one constant and every bias to another**, and train it. In this assignment you
# find out, by experiment and by proof, which parameters keep all their entries equal during training,
# and what that does to the network. You write two functions (graded automatically):
#
# * `make_constant_mlp(sizes, activation, weight_value, bias_value)`: the constant-initialized MLP;
# * `all_entries_equal(model, atol=1e-6)`: for each parameter tensor of a model, are all its entries
#   equal (within `atol`)?
#
# and two written answers (graded by hand): the proof, and what it means for deeper networks and for
# random initialization.
#
# **How to read a failing test.** Each message names the call or the model (sizes, activation,
# initialization, optimizer and steps, dtype, `atol`), the parameter whose answer is wrong, what you
# said, and the measured spread (max − min) of its entries. The visible tests are a first check; the
# autograder runs many more (other depths, widths, activations and optimizers, rounding noise,
# one-element tensors, random initializations).

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
import functools

import numpy as np
import plotly.graph_objects as go
import torch
from torch import nn

torch.set_num_threads(1)  # the networks here are tiny: one CPU thread is faster than several

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: autograder/checks/core.py autograder/checks/symmetry.py

# %% nbgrader={"grade": false, "grade_id": "setup-course", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: course/symmetry.py

# %% [markdown] nbgrader={"grade": false, "grade_id": "constant-mlp-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The constant-initialized MLP
#
# `sizes = [n_0, n_1, ..., n_L]` describes an MLP with $L$ linear layers: $n_0$ inputs, hidden layers
# of widths $n_1, \dots, n_{L-1}$ and $n_L$ outputs. The formula above is the case $L = 3$,
# `sizes = [d, h1, h2, k]`. Write `make_constant_mlp(sizes, activation, weight_value, bias_value)`:
#
# * it returns an `nn.Sequential`: `nn.Linear(n_0, n_1)`, an activation, `nn.Linear(n_1, n_2)`, an
#   activation, …, `nn.Linear(n_{L-1}, n_L)` — an activation after every linear layer **except the
#   last** (the output is linear); with `sizes = [n_0, n_1]` it is a single linear layer (another
#   `nn.Module` with the same layers in the same order is fine too);
# * `activation` is an `nn.Module` class such as `nn.Tanh` or `nn.ReLU`, or any function with no
#   arguments that returns an activation module (e.g. `functools.partial(nn.LeakyReLU, 0.1)`): call it
#   once for each place an activation goes;
# * every entry of every weight is `weight_value` and every entry of every bias is `bias_value`;
#   the parameters stay trainable.
#
# Mind the layout: `nn.Linear(n_in, n_out)` stores its weight as an `(n_out, n_in)` tensor and computes
# $x W^\top + b$, so its `weight` is the **transpose** of the $W_l \in \mathbb{R}^{n_{l-1}\times n_l}$
# of the formula. (For a constant, that makes no difference yet; it will when you look at what
# training does.)
#
# **Points: 7**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | make_constant_mlp: the 3-layer MLP (visible) | 2 |
# | make_constant_mlp: other depths and widths | 3 |
# | make_constant_mlp: other activations and constants | 2 |

# %% nbgrader={"grade": false, "grade_id": "constant-mlp-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    """An nn.Sequential MLP with layer sizes `sizes`, `activation()` between its linear layers,
    every weight entry equal to `weight_value` and every bias entry equal to `bias_value`."""
    ### BEGIN SOLUTION
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(activation())
        linear = nn.Linear(n_in, n_out)
        nn.init.constant_(linear.weight, weight_value)
        nn.init.constant_(linear.bias, bias_value)
        layers.append(linear)
    return nn.Sequential(*layers)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "constant-mlp-visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="make_constant_mlp: the 3-layer MLP (visible)"
# Visible tests: the 3-layer MLP of the formula, with two activations.
check_constant_mlp("make_constant_mlp", [
    {"sizes": [3, 4, 4, 2], "activation": "tanh", "weight": 0.25, "bias": -0.5},
    {"sizes": [2, 3, 3, 1], "activation": "relu", "weight": 0.5, "bias": 0.25},
])
print("make_constant_mlp passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "constant-mlp-depths", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="make_constant_mlp: other depths and widths"
# Hidden tests: other depths (1 to 7 linear layers) and widths.
### BEGIN HIDDEN TESTS
check_constant_mlp("make_constant_mlp", [
    {"sizes": [3, 2], "activation": "tanh", "weight": 0.25, "bias": 0.5},
    {"sizes": [2, 5, 3], "activation": "sigmoid", "weight": 0.5, "bias": -0.25},
    {"sizes": [4, 3, 3, 3, 3, 2], "activation": "gelu", "weight": 0.25, "bias": 0.125},
    {"sizes": [1, 6, 6, 6, 1], "activation": "tanh", "weight": -0.375, "bias": 0.5},
    {"sizes": [5, 8, 2, 8, 8, 7, 6, 3], "activation": "elu", "weight": 0.125, "bias": -0.125},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "constant-mlp-activations", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="make_constant_mlp: other activations and constants"
# Hidden tests: other activations and constants (negative, zero, large).
### BEGIN HIDDEN TESTS
check_constant_mlp("make_constant_mlp", [
    {"sizes": [3, 4, 4, 2], "activation": "relu", "weight": -0.75, "bias": 0.5},
    {"sizes": [3, 4, 4, 2], "activation": "sigmoid", "weight": 0.125, "bias": -1.0},
    {"sizes": [2, 5, 4, 3], "activation": "leaky_relu", "weight": -0.5, "bias": -0.25},
    {"sizes": [2, 5, 4, 3], "activation": "softplus", "weight": 0.0, "bias": 0.5},
    {"sizes": [4, 3, 5, 2], "activation": "silu", "weight": 1.0, "bias": 0.0},
    {"sizes": [4, 3, 5, 2], "activation": "gelu", "weight": 2.0, "bias": -3.0},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "look-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Train it and look
#
# `teacher_data` makes a regression problem (inputs $x \in \mathbb{R}^4$, targets $y \in \mathbb{R}^3$
# computed by a random network with 16 hidden units) and `fit(model, x, y, optimizer_class, steps,
# **options)` trains a model on it with the mean squared error (it returns the losses and snapshots of
# every parameter). Run the cell and look at the three weight matrices after training. Which
# entries are still equal? Remember that `model[0].weight` is $W_1^\top$.

# %%
x, y = teacher_data(d=4, k=3)
model = make_constant_mlp([4, 5, 5, 3], nn.Tanh, 0.3, 0.1).double()
run = fit(model, x, y, torch.optim.SGD, 200, record_every=200, lr=0.1)
torch.set_printoptions(precision=4, sci_mode=False)
for name, p in model.named_parameters():
    print(f"{name}  (shape {tuple(p.shape)})\n{p.detach()}\n")

# %% [markdown] nbgrader={"grade": false, "grade_id": "equal-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. Which tensors still have all entries equal?
#
# Looking at printouts does not scale. Write `all_entries_equal(model, atol=1e-6)`: it returns a
# dict with one entry for **every** parameter tensor of `model` (weights and biases), keyed by the name
# `model.named_parameters()` gives it (`"0.weight"`, `"0.bias"`, `"2.weight"`, …), whose value is
# `True` when all the entries of that tensor are equal within `atol`, and `False` otherwise:
#
# $$\texttt{all\_entries\_equal}(\theta) \iff \max_i \theta_i - \min_i \theta_i \le \texttt{atol}.$$
#
# * "All entries equal" is about the **whole** tensor, every entry against every other: not one row,
#   not rows against rows.
# * A tensor with one entry has all its entries equal.
# * Use the tolerance: entries that are equal in exact arithmetic can differ by rounding noise
#   (around $10^{-16}$ in float64, $10^{-7}$ in float32) after a few steps of training.
# * Values are Python bools (`True`/`False`); a 1-element boolean tensor or numpy bool is accepted too.
#   The model may be in float32 or float64, on the CPU or a GPU, trained or not; do not change it.
#
# **Points: 13**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | all_entries_equal: trained and random MLPs (visible) | 3 |
# | all_entries_equal: other depths, widths, activations, optimizers | 4 |
# | all_entries_equal: rounding noise, atol, float32 | 3 |
# | all_entries_equal: edge cases | 3 |

# %% nbgrader={"grade": false, "grade_id": "equal-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def all_entries_equal(model, atol=1e-6):
    """{name: are all entries of that parameter within atol of each other?} for every parameter of model."""
    ### BEGIN SOLUTION
    report = {}
    for name, param in model.named_parameters():
        values = param.detach()
        report[name] = bool((values.max() - values.min()).item() <= atol)
    return report
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "equal-visible", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="all_entries_equal: trained and random MLPs (visible)"
# Visible tests: the constant 3-layer MLP after 30 SGD steps (plus noise), and a randomly initialized one.
check_all_entries_equal("all_entries_equal", [
    {"model": {"sizes": [4, 5, 5, 3], "activation": "tanh", "init": "constant", "weight": 0.25, "bias": 0.1},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 30}, "jitter": 1e-8, "atol": 1e-6},
    {"model": {"sizes": [4, 5, 5, 3], "activation": "tanh", "init": "random", "seed": 1}, "atol": 1e-9},
])
print("all_entries_equal passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "equal-trained", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="all_entries_equal: other depths, widths, activations, optimizers"
# Hidden tests: other depths, widths, activations and optimizers.
### BEGIN HIDDEN TESTS
check_all_entries_equal("all_entries_equal", [
    {"model": {"sizes": [3, 6, 4, 2], "activation": "relu", "weight": 0.5, "bias": 0.25},
     "train": {"optimizer": "SGD", "options": {"lr": 0.05, "momentum": 0.9}, "steps": 60, "seed": 2}, "atol": 1e-8},
    {"model": {"sizes": [5, 4, 4, 4, 4, 3], "activation": "sigmoid", "weight": -0.5, "bias": 0.125},
     "train": {"optimizer": "Adam", "options": {"lr": 0.02}, "steps": 80, "seed": 3}, "atol": 1e-8},
    {"model": {"sizes": [2, 7, 3], "activation": "gelu", "weight": 0.75, "bias": -0.25},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01},
               "steps": 50, "seed": 4}, "atol": 1e-8},
    {"model": {"sizes": [6, 3, 3, 3, 3, 3, 2], "activation": "elu", "weight": 0.375, "bias": 0.5},
     "train": {"optimizer": "AdamW", "options": {"lr": 0.01, "weight_decay": 0.1}, "steps": 40, "seed": 5}, "atol": 1e-8},
    {"model": {"sizes": [4, 8, 8, 5], "activation": "softplus", "weight": 0.125, "bias": -0.5},
     "train": {"optimizer": "RMSprop", "options": {"lr": 0.01, "momentum": 0.5}, "steps": 40, "seed": 6}, "atol": 1e-8},
    {"model": {"sizes": [3, 5, 5, 2], "activation": "leaky_relu", "weight": 0.625, "bias": 0.0},
     "train": {"optimizer": "NAdam", "options": {"lr": 0.02}, "steps": 50, "seed": 7}, "atol": 1e-8},
    {"model": {"sizes": [3, 5, 5, 2], "activation": "tanh", "init": "random", "seed": 8},
     "train": {"optimizer": "Adam", "options": {"lr": 0.01}, "steps": 30, "seed": 8}, "atol": 1e-8},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "equal-tolerance", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="all_entries_equal: rounding noise, atol, float32"
# Hidden tests: rounding noise, atol honoured, float32.
### BEGIN HIDDEN TESTS
check_all_entries_equal("all_entries_equal", [
    {"model": {"sizes": [4, 5, 5, 3], "activation": "tanh", "weight": 0.25, "bias": 0.1},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 40, "seed": 9}, "jitter": 1e-10, "atol": 1e-8},
    {"model": {"sizes": [3, 6, 6, 4], "activation": "tanh", "weight": 0.5, "bias": -0.25},
     "train": {"optimizer": "Adam", "options": {"lr": 0.05}, "steps": 100, "seed": 10}, "jitter": 5e-4, "atol": 0.02},
    {"model": {"sizes": [3, 6, 6, 4], "activation": "tanh", "weight": 0.5, "bias": -0.25},
     "train": {"optimizer": "Adam", "options": {"lr": 0.05}, "steps": 100, "seed": 10}, "jitter": 5e-4, "atol": 1e-5},
    {"model": {"sizes": [5, 7, 6, 3], "activation": "tanh", "weight": 0.25, "bias": 0.125},
     "train": {"optimizer": "SGD", "options": {"lr": 0.05, "momentum": 0.9}, "steps": 100, "seed": 11},
     "atol": 1e-3, "dtype": "float32"},
    {"model": {"sizes": [5, 7, 6, 3], "activation": "gelu", "weight": 0.25, "bias": 0.125},
     "train": {"optimizer": "Adam", "options": {"lr": 0.01}, "steps": 100, "seed": 12}, "atol": 1e-3, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "equal-edge-cases", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="all_entries_equal: edge cases"
# Hidden tests: one input or one output, one-element tensors, no hidden layer, dead ReLUs, random init.
### BEGIN HIDDEN TESTS
check_all_entries_equal("all_entries_equal", [
    {"model": {"sizes": [3, 4, 4, 1], "activation": "tanh", "weight": 0.25, "bias": 0.5},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 40, "seed": 13}, "atol": 1e-8},
    {"model": {"sizes": [1, 4, 4, 3], "activation": "tanh", "weight": 0.25, "bias": 0.5},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 40, "seed": 14}, "atol": 1e-8},
    {"model": {"sizes": [1, 3, 1], "activation": "sigmoid", "init": "random", "seed": 15},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 20, "seed": 15}, "atol": 1e-8},
    {"model": {"sizes": [1, 1], "activation": "tanh", "init": "random", "seed": 16}, "atol": 1e-8},
    {"model": {"sizes": [3, 5, 4, 2], "activation": "relu", "weight": 0.0, "bias": -0.5},
     "train": {"optimizer": "Adam", "options": {"lr": 0.05}, "steps": 50, "seed": 17}, "atol": 1e-8},
    {"model": {"sizes": [4, 3], "activation": "tanh", "weight": 0.25, "bias": 0.5},
     "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 20, "seed": 18}, "atol": 1e-8},
    {"model": {"sizes": [6, 9, 7, 4], "activation": "relu", "init": "random", "seed": 19}, "atol": 1e-8},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "table-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. The experiment
#
# Train the constant 3-layer MLP with several optimizers and tabulate your report. Then look at
# the trained $W_1$ and $W_3$ again: when a tensor is not all-equal, is there still *some* structure
# (equal rows? equal columns?), and in which layout?

# %%
def report_table(runs):
    """One row per optimizer, one column per parameter: = when all entries are equal, ≠ when not."""
    names = list(next(iter(runs.values())))
    print(f"{'':<28}" + "".join(f"{n:>10}" for n in names))
    for label, report in runs.items():
        print(f"{label:<28}" + "".join(f"{'=' if report[n] else '≠':>10}" for n in names))


OPTIMIZERS = {
    "SGD(lr=0.1)": (torch.optim.SGD, {"lr": 0.1}),
    "SGD(lr=0.05, momentum=0.9)": (torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    "Adam(lr=0.01)": (torch.optim.Adam, {"lr": 0.01}),
    "AdamW(lr=0.01, wd=0.1)": (torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
}
reports = {}
for label, (opt_class, options) in OPTIMIZERS.items():
    model = make_constant_mlp([4, 5, 5, 3], nn.Tanh, 0.3, 0.1).double()
    fit(model, x, y, opt_class, 300, record_every=300, **options)
    reports[label] = all_entries_equal(model, atol=1e-9)
report_table(reports)
W1, W3 = model[0].weight.detach().T, model[4].weight.detach().T  # in the formula's layout
print("\nW1 (inputs × hidden units), after AdamW:\n", W1)
print("\nW3 (hidden units × outputs), after AdamW:\n", W3)

# %% [markdown] nbgrader={"grade": false, "grade_id": "proof-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Why? (graded by hand, 6 points)
#
# Prove what the experiment shows, for the 3-layer MLP of the formula (any activations $\sigma_1,
# \sigma_2$, any differentiable loss of the output, any batch of inputs), in exact arithmetic:
#
# 1. State precisely which entries of $W_1, b_1, W_2, b_2, W_3, b_3$ stay equal to each other during
#    training from the constant initialization (in the formula's layout), and which may differ.
# 2. Prove it for gradient descent, by induction over the steps: what the forward pass computes in
#    each hidden unit, and what form the gradient of each parameter then has.
# 3. Explain why it also holds for SGD with momentum and weight decay, and for Adam.
#
# Write your answer in the cell below (Markdown and $\LaTeX$ welcome).
#
# *Rubric (6 points):* (1) the precise statement, with the formula's layout (which rows or columns
# stay equal in each tensor, and what is free) — 1 point; (2) the forward pass of the hidden units —
# 1 point; (3) the form of each parameter's gradient (or an equally precise argument on
# permutations of the hidden units) — 2 points; (4) the induction over the steps, batches included —
# 1 point; (5) momentum, weight decay and Adam — 1 point. An argument that only checks the first step,
# or only says "by symmetry", gets at most 3 points.

# %% [markdown] nbgrader={"grade": true, "grade_id": "proof-answer", "locked": false, "points": 6, "schema_version": 3, "solution": true, "task": false}
# **Claim.** Write $\mathbf 1$ for a vector of ones. During training from $W_l = c\,\mathbf 1\mathbf 1^\top$,
# $b_l = \beta\,\mathbf 1$, the parameters keep the form
#
# $$W_1 = u\,\mathbf 1^\top \ (u \in \mathbb R^{d}),\quad b_1 = \beta_1 \mathbf 1,\quad
# W_2 = \omega\,\mathbf 1\mathbf 1^\top,\quad b_2 = \beta_2 \mathbf 1,\quad
# W_3 = \mathbf 1\, v^\top \ (v \in \mathbb R^{k}),\quad b_3 \text{ arbitrary.}$$
#
# So $W_2$, $b_1$, $b_2$ keep **all** entries equal. $W_1$ keeps equal **columns** (every hidden unit
# has the same incoming weights; entry $(i, j)$ depends only on the input feature $i$: rows differ).
# $W_3$ keeps equal **rows** (every hidden unit has the same outgoing weights; entry $(j, m)$ depends
# only on the output $m$). $b_3$ has one free entry per output. (In torch's layout, `weight` $= W^\top$:
# the rows of `model[0].weight` are equal, each row of `model[4].weight` is constant.) If $d = 1$, $W_1$
# is all-equal too; if $k = 1$, so are $W_3$ and $b_3$.
#
# **Forward pass under the invariant.** For an input $x$: $z_1 = W_1^\top x + b_1 = (u^\top x + \beta_1)\mathbf 1$,
# so every unit of layer 1 has the same pre-activation $s_1$ and the same activation $a_1 = \sigma_1(s_1)\mathbf 1$.
# Then $z_2 = W_2^\top a_1 + b_2 = (h_1 \omega\, \sigma_1(s_1) + \beta_2)\mathbf 1 = s_2\mathbf 1$ and
# $a_2 = \sigma_2(s_2)\mathbf 1$; the output is $y = W_3^\top a_2 + b_3 = h_2\sigma_2(s_2)\, v + b_3$.
#
# **Backward pass.** Let $\delta_3 = \partial\ell/\partial y \in \mathbb R^k$ (anything). Then
# $\partial\ell/\partial W_3 = a_2\delta_3^\top = \sigma_2(s_2)\,\mathbf 1\delta_3^\top$ (form $\mathbf 1 v'^\top$),
# $\partial\ell/\partial b_3 = \delta_3$ (arbitrary). Back to layer 2:
# $\delta_2 = \sigma_2'(z_2)\odot(W_3\delta_3) = \sigma_2'(s_2)(v^\top\delta_3)\,\mathbf 1 = d_2\mathbf 1$, a constant vector,
# so $\partial\ell/\partial W_2 = a_1\delta_2^\top = \sigma_1(s_1) d_2\,\mathbf 1\mathbf 1^\top$ and $\partial\ell/\partial b_2 = d_2 \mathbf 1$.
# Layer 1: $\delta_1 = \sigma_1'(z_1)\odot(W_2\delta_2) = \sigma_1'(s_1)\, h_2\,\omega\, d_2\,\mathbf 1 = d_1\mathbf 1$, constant, so
# $\partial\ell/\partial W_1 = x\,\delta_1^\top = (d_1 x)\mathbf 1^\top$ (form $u'\mathbf 1^\top$: different rows
# because the $x_i$ differ) and $\partial\ell/\partial b_1 = d_1\mathbf 1$.
#
# **Induction.** The set $S$ of parameters of this form is a linear subspace. The gradient of a batch is
# a sum of per-example gradients, each in $S$, so it is in $S$. The initialization is in $S$
# ($u = c\mathbf 1$, $v = c\mathbf 1$). If $\theta_t \in S$, then $\theta_{t+1} = \theta_t - \gamma\nabla L(\theta_t) \in S$.
#
# **Other optimizers.** Weight decay adds $\lambda\theta \in S$. Momentum keeps a buffer
# $b_{t} = \mu b_{t-1} + (1-\tau)g_t$: a linear combination of elements of $S$, so in $S$, and so is the update.
# Adam applies the same element-wise function to each entry's own history: two entries that start equal
# and always receive equal gradients have equal $m$, $v$ and updates, so every equality of the invariant
# is kept (any element-wise optimizer does this: RMSprop, Adagrad, NAdam, …).
#
# *(Equivalent argument: permuting the hidden units of a layer does not change the network's function;
# so the gradient at a point that every such permutation leaves unchanged is left unchanged too, and
# element-wise optimizers commute with permutations.)*
#
# *Notes for graders (instructors only), 6 points:* (1) the precise statement: $W_2, b_1, b_2$ all-equal; $W_1$ equal
# columns / different rows (by input feature); $W_3$ equal rows / different columns (by output); $b_3$
# free — 1 pt (½ if the layout or the "rows vs columns" is wrong or vague). (2) forward pass: all units
# of a hidden layer have the same pre-activation and activation — 1 pt. (3) backward pass: the form of
# each gradient ($\delta_2, \delta_1$ constant across units; $\nabla W_2 \propto \mathbf 1\mathbf 1^\top$;
# $\nabla W_1 = x\delta_1^\top$; $\nabla W_3 = a_2\delta_3^\top$, $\nabla b_3 = \delta_3$), or a correct
# permutation-equivariance argument — 2 pts. (4) the induction over steps, with batches (sum of gradients)
# — 1 pt. (5) momentum/weight decay (linear in elements of $S$) and Adam (element-wise, same history) —
# 1 pt. An argument that only checks the first step, or only says "by symmetry", gets at most 3.

# %% [markdown] nbgrader={"grade": false, "grade_id": "deeper-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Deeper networks, and random initialization
#
# The cell below trains a constant-initialized MLP with five linear layers, then compares the loss of
# the 3-layer MLP started from a constant, from a random initialization, and from a constant plus a
# tiny perturbation; the last figure shows each hidden unit's weights from the first two inputs during
# training (○ start, ✕ end). Run it and answer the question after it.

# %%
deep = make_constant_mlp([4, 6, 6, 6, 6, 3], nn.Tanh, 0.3, 0.1).double()
fit(deep, x, y, torch.optim.Adam, 200, record_every=200, lr=0.01)
report_table({"5 layers, Adam(lr=0.01)": all_entries_equal(deep, atol=1e-9)})


def perturbed(model, size, seed=0):
    """The model with every entry moved by a random amount of about `size`."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(size * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return model


torch.manual_seed(0)  # PyTorch's default initialization below draws from the global generator
starts = {
    "constant": make_constant_mlp([4, 8, 8, 3], nn.Tanh, 0.3, 0.1).double(),
    "constant + noise 1e-4": perturbed(make_constant_mlp([4, 8, 8, 3], nn.Tanh, 0.3, 0.1).double(), 1e-4),
    "random (PyTorch's default)": nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(),
                                                nn.Linear(8, 3)).double(),
}
runs = {label: fit(m, x, y, torch.optim.Adam, 1000, record_every=10, lr=0.01) for label, m in starts.items()}
loss_figure(runs).show()
unit_paths_figure(runs, "0.weight", unit_dim=0).show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "deeper-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question (graded by hand, 4 points).**
#
# 1. For an MLP with $L \ge 2$ linear layers, `sizes = [n_0, ..., n_L]`, started from constants:
#    which parameter tensors keep all their entries equal, and what structure do the others keep?
#    Does the table of the 5-layer network agree?
# 2. What can a constant-initialized network compute, however wide its hidden layers are? Relate this to
#    the loss curves.
# 3. Why does a random initialization break the symmetry, and why could no gradient-based optimizer
#    break it for you? What does the "constant + noise" run show?
#
# *Rubric (4 points, one each):* (1) the rule for depth $L$ (which tensors stay all-equal, which keep
# equal rows or columns) and whether the table agrees; (2) what such a network can compute, related to
# the loss curves; (3) why a random start breaks the symmetry and why no gradient-based optimizer can;
# (4) what the "constant + noise" run shows.

# %% [markdown] nbgrader={"grade": true, "grade_id": "deeper-answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# 1. The same induction works layer by layer: the first weight $W_1$ keeps equal columns (rows differ by
#    input feature), every hidden bias $b_1, \dots, b_{L-1}$ and every middle weight $W_2, \dots, W_{L-1}$
#    keep all entries equal, the last weight $W_L$ keeps equal rows (columns differ by output) and $b_L$
#    is free. If $n_0 = 1$ then $W_1$ is all-equal too, and if $n_L = 1$ so are $W_L$ and $b_L$. The
#    5-layer table shows exactly this (only `0.weight`, `8.weight` and `8.bias` differ).
# 2. All units of a hidden layer compute the same function at every step, so the network computes what a
#    network with **one unit per hidden layer** computes ($y = h\, v\,\sigma(\dots) + b_L$ with scaled
#    weights): its width is wasted. The constant run plateaus at the loss of such a width-1 network,
#    far above the randomly initialized one.
# 3. Random weights make the hidden units different functions, so their gradients differ and they can
#    specialise. The symmetric set is invariant under every gradient-based (and element-wise) update —
#    the gradient itself lies in it — so no optimizer can leave it; only the initialization (or noise
#    such as dropout) can. A tiny perturbation does break it: the asymmetric part grows (the symmetric
#    point is unstable once the width-1 network has fitted what it can), but only after a delay and
#    by an uncontrolled amount. Rounding noise (~1e-16) is such a perturbation, far smaller, so it
#    takes far longer and depends on the machine: no substitute for a proper random initialization.
#
# *Notes for graders (instructors only), 4 points:* (1) the rule for depth $L$, including where $W_1$, $W_L$, $b_L$
# differ, and agreement with the table — 1 pt; (2) equivalence to a width-1 network and the plateau in the
# loss curve — 1 pt; (3) random init makes units differ → different gradients; the symmetric set is
# invariant under gradient updates, so only the init (or injected noise) breaks it — 1 pt; (4) the
# perturbed run: small noise grows and eventually breaks the symmetry, slowly; rounding noise is not a
# reliable substitute — 1 pt.
