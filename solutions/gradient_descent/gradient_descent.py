# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment: gradient descent
#
# In this assignment you write gradient descent yourself, with autograd for the gradients, and use it
# to study where it ends up on a landscape with many local minima:
#
# $$f(x_1, x_2) = \sin x_1 \cos x_2 + \sin\tfrac{x_1}{2}\,\cos\tfrac{x_2}{2}, \qquad \text{starts in } [0, 10]^2 .$$
#
# You write five functions:
#
# 1. `gradient_descent_step(param, lr)`: one update θ ← θ − lr·∇f, in place;
# 2. `gradient_descent(f, start, lr, steps)`: the whole trajectory from one start, with autograd;
# 3. `grad_sin_cos(x)`: the gradient of f written by hand;
# 4. `gradient_descent_many(f, starts, lr, steps)`: many starts at once, as one tensor;
# 5. `reached_minima(endpoints, minima, radius)`: which minimum each run reached;
#
# then run a study of the learning rate and the number of steps and answer a question about it.
# Do not use `torch.optim` in your functions: the point is to write the update (the autograder switches
# torch's SGD off, so a function built on it fails its tests there, and is flagged).
# Compare with torch's in a cell of your own, not in an answer cell: there the call would stop the cell.
#
# Throughout, a function `f` takes a tensor of **points**, shape `(..., 2)` (the last dimension holds
# x1 and x2), and returns one value per point, shape `(...)`: `f(x)` for one point `x` of shape `(2,)`
# is a 0-d tensor; `f(X)` for `X` of shape `(n, 2)` has shape `(n,)`. `sin_cos_2d` below is our f.
#
# **How to read a failing test.** Each message names the case (function, start, lr, steps, dtype,
# device), the row or call where your result first differs, yours and the expected value, and often
# the likely cause (a wrong sign, a missing start row, gradients that accumulate, ...).
# The visible tests are a first check; the autograder runs many more (other functions, other
# learning rates and step counts, float32 inputs, inputs that require grad, more points).

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
import time

import numpy as np
import plotly.graph_objects as go
import torch

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: autograder/checks/core.py autograder/checks/descent.py

# %% nbgrader={"grade": false, "grade_id": "setup-course", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: course/functions.py course/plots.py course/gradient_descent.py

# %% [markdown] nbgrader={"grade": false, "grade_id": "landscape-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## The landscape
#
# `sin_cos_2d(points)` evaluates f on a tensor of points; `SIN_COS_MINIMA` lists its local minima
# (position and value): they come in three depths, f ≈ −1.76, −1.06 and −0.37.

# %%
print(sin_cos_2d(torch.tensor([1.0, 2.0])))            # one point: a 0-d tensor
print(sin_cos_2d(torch.tensor([[1.0, 2.0], [4.4, 6.3]])))  # two points: shape (2,)
x1s, x2s, values = grid(sin_cos, (0, 10), (0, 10), 80)
fig = go.Figure(go.Surface(x=x1s, y=x2s, z=values, colorscale="Viridis", showscale=False))
fig.update_layout(height=450, margin={"l": 0, "r": 0, "t": 30, "b": 0}, title="f on [0, 10]²",
                  scene={"xaxis_title": "x1", "yaxis_title": "x2", "zaxis_title": "f"})
fig.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "step-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. One step: `gradient_descent_step(param, lr)`
#
# `param` is a leaf tensor with `requires_grad=True` whose `.grad` holds the gradient g of the loss
# (a `backward()` ran). One step of gradient descent with learning rate γ = `lr` is
#
# $$\theta \leftarrow \theta - \gamma\, g .$$
#
# Do it the way `torch.optim` does:
#
# * **in place**: change the tensor you were given (its values), do not make a new one: the caller
#   (and an optimizer, a model) hold a reference to that very tensor. Return nothing.
# * **under `torch.no_grad()`** (inside a `with torch.no_grad():` block): the update is not part of
#   the function being differentiated; outside `no_grad`, an in-place change of a leaf that
#   requires grad is an error.
# * **leave `param.grad` as it is**: clearing the gradient is the caller's job (torch's
#   `optimizer.step()` never touches `.grad`; `optimizer.zero_grad()` does that, separately).
#
# It must work for a parameter of any shape and dtype.
#
# **Points: 7**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | gradient_descent_step: one step (visible) | 2 |
# | gradient_descent_step: shapes, dtypes, learning rates | 3 |
# | gradient_descent_step: in place, a leaf, .grad left alone | 2 |

# %% nbgrader={"grade": false, "grade_id": "step-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent_step(param: torch.Tensor, lr: float) -> None:
    """Move `param` by -lr * param.grad, in place, without recording the update in autograd."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        param -= lr * param.grad
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "step-visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_step: one step (visible)"
# Visible tests: one step, then three steps, on a small float64 parameter.
check_descent_step([
    {"name": "one step", "shape": [2], "lr": 0.1, "calls": 1, "seed": 1},
    {"name": "three steps", "shape": [3], "lr": 0.5, "calls": 3, "seed": 2},
])
check_descent_step_in_place([{"name": "in place", "shape": [2], "lr": 0.1, "calls": 2, "seed": 3}])
print("gradient_descent_step passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "step-values", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_step: shapes, dtypes, learning rates"
# Hidden tests: shapes, dtypes, learning rates (0 included), many calls.
### BEGIN HIDDEN TESTS
check_descent_step([
    {"name": "scalar", "shape": [], "lr": 0.3, "calls": 4, "seed": 11},
    {"name": "matrix", "shape": [3, 4], "lr": 0.05, "calls": 5, "seed": 12},
    {"name": "large lr", "shape": [5], "lr": 2.5, "calls": 3, "seed": 13},
    {"name": "zero lr", "shape": [4], "lr": 0.0, "calls": 2, "seed": 14},
    {"name": "float32", "shape": [2, 3], "lr": 0.2, "calls": 6, "seed": 15, "dtype": "float32"},
    {"name": "many calls", "shape": [2], "lr": 0.01, "calls": 25, "seed": 16},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "step-in-place", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_step: in place, a leaf, .grad left alone"
# Hidden tests: the given tensor is updated in place, stays a leaf that requires grad, keeps its dtype;
# its .grad is left unchanged.
### BEGIN HIDDEN TESTS
check_descent_step_in_place([
    {"name": "float64", "shape": [3, 2], "lr": 0.7, "calls": 3, "seed": 21},
    {"name": "float32", "shape": [4], "lr": 0.1, "calls": 3, "seed": 22, "dtype": "float32"},
    {"name": "scalar", "shape": [], "lr": 1.5, "calls": 2, "seed": 23},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "path-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. A trajectory: `gradient_descent(f, start, lr, steps)`
#
# From `start` (a tensor of shape `(2,)`), take `steps` steps of gradient descent on `f`, with
# the gradient from autograd (`backward()`) and the update from your `gradient_descent_step`.
# Return the whole trajectory as a tensor of shape `(steps + 1, 2)`: row 0 is the start, row k the
# point after k steps.
#
# * Work on a **copy** of the start, in **float64** (whatever `start`'s dtype), that requires grad:
#   `start` itself must not change (not its values, not its `requires_grad`, not its `.grad`).
#   Careful: `start.detach()` shares memory with `start`; `.clone()` does not.
# * `backward()` **adds** to `.grad`: clear it before each new gradient (`x.grad = None` or
#   `x.grad.zero_()`), or the gradients of all past steps pile up.
# * Store a **copy** of each point (`x.detach().clone()`): the next step changes `x` in place.
# * Return detached float64 values (no autograd graph) on `start`'s device.
# * Use the `f` you are given (the tests use other functions too).
#
# **Points: 8**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | gradient_descent: the trajectory (visible) | 2 |
# | gradient_descent: other functions, learning rates, step counts | 4 |
# | gradient_descent: start left alone, float64, a detached result | 2 |

# %% nbgrader={"grade": false, "grade_id": "path-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent(f, start: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    """The points visited by `steps` steps of gradient descent on f from `start`: a (steps + 1, 2) tensor."""
    ### BEGIN SOLUTION
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "path-visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="gradient_descent: the trajectory (visible)"
# Visible tests: our f from two starts.
check_descent_path([
    {"name": "visible", "function": "sin_cos", "start": [2.0, 2.5], "lr": 0.5, "steps": 10},
    {"name": "visible", "function": "sin_cos", "start": [8.0, 1.0], "lr": 0.2, "steps": 20},
])
check_descent_path_contract([{"name": "visible", "function": "sin_cos", "start": [6.0, 7.0], "lr": 0.5, "steps": 5}])
print("gradient_descent passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "path-values", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false} title="gradient_descent: other functions, learning rates, step counts"
# Hidden tests: other functions, learning rates and step counts (0 and 1 included).
### BEGIN HIDDEN TESTS
check_descent_path([
    {"name": "long run", "function": "sin_cos", "start": [3.3, 8.1], "lr": 0.8, "steps": 120},
    {"name": "small lr", "function": "sin_cos", "start": [9.5, 0.4], "lr": 0.05, "steps": 60},
    {"name": "no steps", "function": "sin_cos", "start": [1.25, 4.5], "lr": 0.5, "steps": 0},
    {"name": "one step", "function": "sin_cos", "start": [1.25, 4.5], "lr": 0.5, "steps": 1},
    {"name": "tilted bowl", "function": "bowl", "start": [-2.0, 3.0], "lr": 0.3, "steps": 40},
    {"name": "valley", "function": "valley", "start": [-1.2, 1.5], "lr": 0.02, "steps": 150},
    {"name": "ripples", "function": "ripples", "start": [2.5, -1.5], "lr": 0.1, "steps": 50},
    {"name": "Himmelblau", "function": "himmelblau", "start": [0.5, -4.0], "lr": 0.05, "steps": 60},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "path-contract", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="gradient_descent: start left alone, float64, a detached result"
# Hidden tests: start left alone (also when it requires grad), float64 computed from a float32 start,
# a detached result.
### BEGIN HIDDEN TESTS
check_descent_path_contract([
    {"name": "start requires grad", "function": "sin_cos", "start": [4.0, 5.0], "lr": 0.5, "steps": 15,
     "start_requires_grad": True},
    {"name": "float32 start", "function": "ripples", "start": [1.3, 2.7], "lr": 0.1, "steps": 40,
     "start_dtype": "float32"},
    {"name": "float32 start, requires grad", "function": "bowl", "start": [0.3, -0.7], "lr": 0.2, "steps": 25,
     "start_dtype": "float32", "start_requires_grad": True},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "path-try-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Try it: three starts, two learning rates (○ start, ✕ end).

# %%
for lr in (0.2, 1.5):
    paths = {f"from ({a:g}, {b:g})": gradient_descent(sin_cos_2d, torch.tensor([a, b]), lr, 40)
             for a, b in [(2.0, 2.5), (6.0, 7.0), (8.5, 1.0)]}
    contour_with_paths(sin_cos, (0, 10), (0, 10), paths, title=f"40 steps, lr = {lr}", height=420).show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "grad-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. The gradient by hand: `grad_sin_cos(x)`
#
# Write the two partial derivatives ∂f/∂x1 and ∂f/∂x2 of f(x1, x2) = sin x1 cos x2 + sin(x1/2) cos(x2/2)
# yourself (mind the chain rule) and return them as a tensor of the shape of `x`: for `x` of
# shape `(2,)`, the vector (∂f/∂x1, ∂f/∂x2); for `x` of shape `(n, 2)`, one such row per point.
# Keep `x`'s dtype, do not change `x`, and do not use autograd here (no `backward`, no
# `torch.autograd`, no `torch.func`): the tests compare your formula with autograd at many points.
#
# **Points: 6**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | grad_sin_cos: the gradient (visible) | 2 |
# | grad_sin_cos: many points, float32 | 3 |
# | grad_sin_cos: by hand, not autograd | 1 |

# %% nbgrader={"grade": false, "grade_id": "grad-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def grad_sin_cos(x: torch.Tensor) -> torch.Tensor:
    """The gradient of f(x1, x2) = sin x1 cos x2 + sin(x1/2) cos(x2/2), by hand, for x of shape (..., 2)."""
    ### BEGIN SOLUTION
    x1, x2 = x[..., 0], x[..., 1]
    d1 = torch.cos(x1) * torch.cos(x2) + 0.5 * torch.cos(0.5 * x1) * torch.cos(0.5 * x2)
    d2 = -torch.sin(x1) * torch.sin(x2) - 0.5 * torch.sin(0.5 * x1) * torch.sin(0.5 * x2)
    return torch.stack([d1, d2], dim=-1)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "grad-visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="grad_sin_cos: the gradient (visible)"
# Visible tests: one point, then 5 points, against autograd.
check_hand_gradient([
    {"name": "one point", "shape": [2], "seed": 1},
    {"name": "five points", "shape": [5, 2], "seed": 2},
])
print("grad_sin_cos passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "grad-values", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="grad_sin_cos: many points, float32"
# Hidden tests: many points, far from the origin too, float32 kept.
### BEGIN HIDDEN TESTS
check_hand_gradient([
    {"name": "many points", "shape": [500, 2], "seed": 11, "scale": 10.0},
    {"name": "far away", "shape": [200, 2], "seed": 12, "scale": 100.0},
    {"name": "single points", "shape": [2], "seed": 13, "scale": 3.0},
    {"name": "one row", "shape": [1, 2], "seed": 14},
    {"name": "float32", "shape": [300, 2], "seed": 15, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "grad-by-hand", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="grad_sin_cos: by hand, not autograd"
# Hidden test: the formula, not autograd.
### BEGIN HIDDEN TESTS
check_hand_gradient_no_autograd()
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "grad-try-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your formula and autograd at one point:

# %%
point = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
sin_cos_2d(point).backward()
print("by hand: ", grad_sin_cos(point.detach()))
print("autograd:", point.grad)

# %% [markdown] nbgrader={"grade": false, "grade_id": "many-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Many starts at once: `gradient_descent_many(f, starts, lr, steps)`
#
# `starts` has shape `(n, 2)`. Run gradient descent from all n points **together**, as one `(n, 2)`
# tensor, and return a tensor of shape `(steps + 1, n, 2)`: `result[k]` holds every point after k
# steps, `result[:, i]` is the trajectory of point i, equal to `gradient_descent(f, starts[i], lr, steps)`.
#
# The points do not interact: the gradient of $\sum_i f(x_i)$ with respect to $x_i$ is $\nabla f(x_i)$.
# So one call `f(X)` per step (shape `(n,)`), reduced to one number, and one backward give every
# point its own gradient.
#
# * **No Python loop over the points** (and no call of `f` per point): the tests count how often
#   `f` is called and how many torch operations run, for few and for many points; both must not
#   grow with the number of points. A loop over the steps is fine.
# * The same rules as in `gradient_descent`: `starts` unchanged, float64, detached result on
#   `starts`' device, the `f` you are given.
#
# **Points: 9**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | gradient_descent_many: many starts at once (visible) | 2 |
# | gradient_descent_many: more points, functions, settings | 3 |
# | gradient_descent_many: no loop over the points | 3 |
# | gradient_descent_many: starts left alone, float64, detached | 1 |

# %% nbgrader={"grade": false, "grade_id": "many-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gradient_descent_many(f, starts: torch.Tensor, lr: float, steps: int) -> torch.Tensor:
    """Gradient descent from every row of `starts` (n, 2) at once: a (steps + 1, n, 2) tensor."""
    ### BEGIN SOLUTION
    x = starts.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        f(x).sum().backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "many-visible", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_many: many starts at once (visible)"
# Visible tests: 4 starts on our f, compared with runs from each start alone; vectorised.
check_descent_many([{"name": "visible", "function": "sin_cos", "n": 4, "lr": 0.5, "steps": 10, "seed": 1}])
check_descent_many_vectorised("sin_cos", sizes=[3, 40], lr=0.5, steps=5)
print("gradient_descent_many passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "many-values", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_many: more points, functions, settings"
# Hidden tests: more points, other functions, learning rates and step counts.
### BEGIN HIDDEN TESTS
check_descent_many([
    {"name": "many points", "function": "sin_cos", "n": 40, "lr": 0.8, "steps": 60, "seed": 11},
    {"name": "one point", "function": "sin_cos", "n": 1, "lr": 0.3, "steps": 20, "seed": 12},
    {"name": "no steps", "function": "sin_cos", "n": 5, "lr": 0.3, "steps": 0, "seed": 13},
    {"name": "tilted bowl", "function": "bowl", "n": 8, "lr": 0.3, "steps": 30, "seed": 14, "low": -3.0, "high": 3.0},
    {"name": "valley", "function": "valley", "n": 6, "lr": 0.02, "steps": 80, "seed": 15, "low": -1.5, "high": 1.5},
    {"name": "ripples", "function": "ripples", "n": 10, "lr": 0.1, "steps": 40, "seed": 16, "low": -3.0, "high": 3.0},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "many-vectorised", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_many: no loop over the points"
# Hidden tests: no loop over the points, with other functions and sizes.
### BEGIN HIDDEN TESTS
check_descent_many_vectorised("sin_cos", sizes=[2, 64], lr=0.3, steps=12)
check_descent_many_vectorised("himmelblau", sizes=[5, 33], lr=0.05, steps=8)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "many-contract", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="gradient_descent_many: starts left alone, float64, detached"
# Hidden tests: starts left alone, float64 from float32 starts, a detached result.
### BEGIN HIDDEN TESTS
check_descent_many_contract([
    {"name": "starts require grad", "function": "sin_cos", "n": 6, "lr": 0.5, "steps": 10, "seed": 21,
     "start_requires_grad": True},
    {"name": "float32 starts", "function": "ripples", "n": 5, "lr": 0.1, "steps": 30, "seed": 22,
     "start_dtype": "float32", "low": -3.0, "high": 3.0},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "many-try-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# How much faster is one tensor than a loop over the points? (Your two functions, 200 starts.)

# %%
starts = random_starts(200, seed=0)
t0 = time.perf_counter()
together = gradient_descent_many(sin_cos_2d, starts, 0.5, 50)
t1 = time.perf_counter()
one_by_one = torch.stack([gradient_descent(sin_cos_2d, s, 0.5, 50) for s in starts], dim=1)
t2 = time.perf_counter()
print(f"all at once: {t1 - t0:.3f} s; one by one: {t2 - t1:.3f} s; "
      f"largest difference {float((together - one_by_one).abs().max()):.2g}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "reached-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. Where did each run end? `reached_minima(endpoints, minima, radius)`
#
# `endpoints` `(n, 2)` are the last points of n runs, `minima` `(m, 2)` known local minima. Return a
# tensor of n integers (`torch.long`): for each endpoint, the index of its **nearest** minimum if that
# minimum is closer than `radius` (Euclidean distance < radius), else −1 (the run did not
# converge to a minimum; a point with `nan` or `inf` coordinates, a run that diverged, also gets −1).
# Do not change the inputs. Broadcasting gives all n × m distances at once (`torch.cdist` too).
#
# **Points: 4**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | reached_minima: which minimum (visible) | 1 |
# | reached_minima: more points, radii, diverged runs | 2 |
# | Gradient descent: your own update | 1 |

# %% nbgrader={"grade": false, "grade_id": "reached-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reached_minima(endpoints: torch.Tensor, minima: torch.Tensor, radius: float) -> torch.Tensor:
    """For each endpoint, the index of the nearest minimum closer than `radius`, or -1: an (n,) long tensor."""
    ### BEGIN SOLUTION
    distances = torch.cdist(endpoints, minima)
    nearest = distances.argmin(dim=1)
    closest = distances.gather(1, nearest[:, None])[:, 0]
    return torch.where(closest < radius, nearest, torch.full_like(nearest, -1))
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "reached-visible", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="reached_minima: which minimum (visible)"
# Visible tests: 12 endpoints around 4 minima.
check_reached_minima([{"name": "visible", "m": 4, "n": 12, "spacing": 1.0, "seed": 1}])
print("reached_minima passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "reached-values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="reached_minima: more points, radii, diverged runs"
# Hidden tests: more points and minima, small and large radii, diverged runs.
### BEGIN HIDDEN TESTS
check_reached_minima([
    {"name": "many", "m": 12, "n": 200, "spacing": 1.0, "seed": 11},
    {"name": "large radius", "m": 7, "n": 120, "spacing": 10.0, "seed": 12},
    {"name": "small radius", "m": 5, "n": 80, "spacing": 0.1, "seed": 13},
    {"name": "one minimum", "m": 1, "n": 30, "spacing": 4.0, "seed": 14},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "own-work", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="Gradient descent: your own update"
# Hidden test: the step and the trajectories are your own update, not torch.optim's.
### BEGIN HIDDEN TESTS
check_descent_own_work()
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "study-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Study: learning rate, number of steps, and which minimum a run reaches
#
# 400 random starts in [0, 10]², gradient descent with several learning rates and step counts, and
# for each setting how many runs end (within 0.05) in a minimum of each depth. The curvature of f
# at its minima (the eigenvalues of its Hessian there): ≈ 1.16 in both directions at the deep
# minima, ≈ 0.77 and 1.16 at the middle ones, ≈ 0.77 in both directions at the shallow ones.

# %%
MINIMA = minima_tensor()
starts = random_starts(400, seed=1)
print(f"{'lr':>5} {'steps':>5} | " + " | ".join(f"{name:>19}" for name in DEPTH_COLORS))
for lr in (0.05, 0.3, 1.0, 1.6, 1.9):
    for steps in (10, 50, 200):
        ends = gradient_descent_many(sin_cos_2d, starts, lr, steps)[-1]
        counts = outcomes(reached_minima(ends, MINIMA, 0.05))
        print(f"{lr:>5} {steps:>5} | " + " | ".join(f"{c:>19}" for c in counts.values()))

# %%
for lr, steps in [(0.05, 50), (0.3, 50), (1.9, 50)]:
    paths = gradient_descent_many(sin_cos_2d, starts[:60], lr, steps)
    labels = reached_minima(paths[-1], MINIMA, 0.05)
    paths_figure(paths, labels, title=f"60 starts, lr = {lr}, {steps} steps (colour: the minimum reached)").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "study-basins-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# From every start of a 70 × 70 grid over [0, 10]²: the depth of the minimum reached after 200 steps
# (grey: none). With a learning rate that converges, these are the *basins of attraction*.

# %%
side = torch.linspace(0, 10, 70, dtype=torch.float64)
grid_starts = torch.stack(torch.meshgrid(side, side, indexing="xy"), dim=-1).reshape(-1, 2)
for lr in (0.3, 1.9):
    ends = gradient_descent_many(sin_cos_2d, grid_starts, lr, 200)[-1]
    basins_figure(side, reached_minima(ends, MINIMA, 0.05), title=f"lr = {lr}, 200 steps").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "study-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question (graded by hand, 4 points).** From the table and the figures: (a) how do the learning
# rate and the number of steps change how many runs reach a minimum? (b) does a run end in the
# deepest minimum, or in which one? does the learning rate (0.05 to 1.6) change *which* minimum a run
# reaches? (c) what happens at lr = 1.9, and why do the runs that start near a shallow minimum still
# converge? Use the curvatures given above. Answer in a few sentences in the cell below.
#
# *Rubric (4 points):* one point each for (a) the effect of the learning rate and of the number of
# steps on how many runs arrive; (b) which minimum a run ends in, and whether the learning rate changes
# it; (c) what happens at lr = 1.9, explained with a stability limit computed from the curvatures;
# (d) why the runs near a shallow minimum still converge, from the same limit.

# %% [markdown] nbgrader={"grade": true, "grade_id": "study-answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false}
# (a) The distance covered per step is about lr·|∇f|: with lr = 0.05 no run is within 0.05 of a
# minimum after 10 steps and only a few after 50; it takes about 200 steps. lr = 0.3 and 1.0 get
# (almost) every run there within 10 to 50 steps. At lr = 1.6 the runs overshoot and oscillate
# across the minimum while converging (factor |1 − 1.6·1.16| ≈ 0.85 per step), so after 10 steps
# fewer are there than with lr = 1.0, after 50 all are. So: more steps help, a larger lr helps up to
# a point, then it slows convergence down, and beyond a limit (c) it stops it.
# (b) Gradient descent is local: a run ends in the minimum of the basin of attraction it starts in,
# usually the one nearest to its start, not the deepest (about 30 % deep, 60 % middle, 10 % shallow,
# roughly the share of the square covered by each kind of basin). For every lr from 0.05 to 1.6 the
# counts are the same: the same runs reach the same minima; the learning rate changes how fast,
# not where.
# (c) Near a minimum each step multiplies the offset along a Hessian eigenvector of eigenvalue λ by
# (1 − lr·λ); it shrinks only if lr < 2/λ. For the deep and middle minima λ_max ≈ 1.16, so the limit
# is ≈ 1.73; at lr = 1.9 the factor is ≈ −1.2: the run overshoots further at each step, then settles
# into a zig-zag (a 2-cycle) across the minimum and never gets within 0.05: "no minimum", whatever the
# number of steps. The shallow minima have λ ≈ 0.77 in both directions, limit 2/0.77 ≈ 2.6 > 1.9, so
# the runs that start in their basins still converge: they are the only ones counted at lr = 1.9.
#
# *Notes for graders (instructors only):* one point each for (1) small lr too slow, more steps / larger lr reach the
# minimum sooner, large lr oscillates; (2) runs reach the minimum of their own basin (local, not
# global), and lr from 0.05 to 1.6 does not change which; (3) lr = 1.9 exceeds the stability limit
# 2/1.16 ≈ 1.73 of the deep and middle minima: oscillation / 2-cycle, no convergence; (4) the shallow
# minima's smaller curvature (limit ≈ 2.6) explains why they are still reached.
