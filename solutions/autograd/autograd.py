# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment: autograd and custom `torch.autograd.Function`s
#
# Every optimizer in this course needs one thing from the model: the gradient of the loss. torch
# computes it with *autograd*: while your code runs, it records a graph of the operations, and
# `backward()` walks that graph from the output to the inputs, applying the chain rule. Part 0
# (not graded) shows the graph and the rules: `requires_grad`, leaf tensors, how `.grad`
# accumulates and is zeroed, `backward(gradient=...)` for non-scalar outputs, `torch.no_grad()`
# and `detach()`. Then you write three operations of your own, as subclasses of
# `torch.autograd.Function` used through `.apply`:
#
# * `Cube`: y = x³, saving what backward needs with `ctx.save_for_backward`;
# * `GradReverse`: the identity forward, the gradient multiplied by −λ backward (the gradient
#   reversal layer of domain-adversarial training);
# * `StableSoftplus`: softplus(x) = log(1 + eˣ), whose naive formula overflows, written with a
#   forward and a backward that are finite and accurate for every x.
#
# **How to read a failing test.** Each message names the input (its values, or its shape and the
# seed that drew it), how backward was called, the dtype and device, then what differs: the output
# y or x.grad, the entry, your value, the expected one and the size of the error. The expected
# values come from torch's own operations (x·x·x, torch's softplus) and, for `GradReverse`, from
# the definition. The visible tests below are a first check; the autograder runs many more (other
# shapes and values, float32 and float64, gradients accumulated over two calls, your Function
# inside a bigger network, extreme inputs).

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
import plotly.graph_objects as go
import torch
from torch.autograd import Function

# %% nbgrader={"grade": false, "grade_id": "helpers", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: autograder/checks/core.py autograder/checks/autograd.py

# %% nbgrader={"grade": false, "grade_id": "setup-course", "locked": true, "schema_version": 3, "solution": false, "task": false} cellView="form" jupyter={"source_hidden": true}
# inline: course/functions.py course/plots.py course/autograd.py

# %% [markdown] nbgrader={"grade": false, "grade_id": "graph-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 0. The computation graph (not graded)
#
# A tensor created with `requires_grad=True` is a **leaf**: autograd will compute the gradient of
# a result with respect to it and store it in its `.grad`. Every operation on such a tensor
# returns a tensor that remembers how it was made: its `grad_fn`, a node of the graph, whose
# `next_functions` lead to the nodes of its inputs, down to an `AccumulateGrad` node per leaf.
# Each node also keeps what its backward needs (a product saves both factors). Hover the nodes.

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor(0.5, requires_grad=True)
y = torch.sin(w * x) * x          # y_i = x_i sin(w x_i)
loss = y.sum()
print("leaves:", x.is_leaf, w.is_leaf, "| y is a leaf:", y.is_leaf, "| y.grad_fn:", y.grad_fn)
print("loss.grad_fn.next_functions:", loss.grad_fn.next_functions)
graph_figure(loss, {"x": x, "w": w, "loss": loss}, title="The graph of loss = Σ x·sin(w·x)").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "backward-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# `loss.backward()` walks the graph from `loss` back to the leaves. Each node receives the
# gradient of the loss with respect to its output, ∂L/∂out (called `grad_output`), and passes on
# ∂L/∂in = ∂L/∂out · ∂out/∂in for each of its inputs (the chain rule). Where a tensor feeds
# several operations, the contributions add up. Check the result against the derivatives by hand:
# ∂L/∂x_i = sin(w x_i) + w x_i cos(w x_i) and ∂L/∂w = Σ x_i² cos(w x_i).

# %%
loss.backward()
print("x.grad:", x.grad, " by hand:", torch.sin(w * x) + w * x * torch.cos(w * x))
print("w.grad:", w.grad, " by hand:", (x**2 * torch.cos(w * x)).sum())

# %% [markdown] nbgrader={"grade": false, "grade_id": "accumulate-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Gradients accumulate.** `backward()` *adds* into `.grad`; it never overwrites it. Run the
# forward and backward again and the gradient doubles. That is why a training loop clears the
# gradients before each backward (`optimizer.zero_grad()`, or `p.grad = None` by hand). The graph
# itself is freed by `backward()` (its saved tensors are released); a second backward through the
# *same* graph needs `retain_graph=True` the first time.

# %%
loss = (torch.sin(w * x) * x).sum()        # a new graph: the old one was freed by backward
loss.backward()
print("after a second backward, x.grad:", x.grad, "(twice the first)")
x.grad = None                              # what optimizer.zero_grad() does (set_to_none=True)
w.grad.zero_()                             # the other way: keep the tensor, fill it with zeros
(torch.sin(w * x) * x).sum().backward()
print("after zeroing and one more backward:", x.grad, w.grad)

# %% [markdown] nbgrader={"grade": false, "grade_id": "vjp-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Non-scalar outputs.** `backward()` with no argument only works on a single number. For a
# tensor output y, autograd computes a *vector-Jacobian product*: `y.backward(gradient=v)` adds
# vᵀ·∂y/∂x to `x.grad`, which is the gradient of the scalar Σᵢ vᵢ yᵢ. With v all ones it is the
# gradient of `y.sum()`; with v a unit vector eⱼ it is row j of the Jacobian. This is what a
# Function's backward computes too: given `grad_output` (v), return vᵀ·∂y/∂x.

# %%
x.grad = None
y = torch.sin(w * x) * x
try:
    y.backward()
except RuntimeError as error:
    print("y.backward() on a non-scalar y:", error)
v = torch.tensor([1.0, 0.0, -2.0])
y.backward(gradient=v)
print("x.grad = vᵀ ∂y/∂x:", x.grad, " by hand:", v * (torch.sin(w * x) + w * x * torch.cos(w * x)))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nograd-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Not recording.** Inside `with torch.no_grad():` nothing is recorded: results have no
# `grad_fn` and `requires_grad=False` (this is how optimizers update parameters in place, and how
# you evaluate a model cheaply). `t.detach()` returns a tensor that shares `t`'s memory but is cut
# from the graph: gradients do not flow through it. Inside a Function's `forward`, torch is
# already in no-grad mode: what you compute there is not recorded; your `backward` says what the
# gradient is.

# %%
with torch.no_grad():
    z = w * x
print("under no_grad:", z.requires_grad, z.grad_fn)
d = (w * x).detach()
print("detached:", d.requires_grad, d.grad_fn, "| x.grad_fn of a leaf:", x.grad_fn)
x.grad, w.grad = None, None
(w.detach() * x).sum().backward()
print("w detached: x.grad =", x.grad, "and w.grad =", w.grad, "(no gradient flows to w)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "cube-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. `Cube`: y = x³
#
# A custom operation is a subclass of `torch.autograd.Function` with two static methods, and you
# use it through `Cube.apply(x)` (never by calling `forward` yourself):
#
# * `forward(ctx, x)` computes y = x³ element-wise and saves what backward will need with
#   `ctx.save_for_backward(...)`;
# * `backward(ctx, grad_output)` receives ∂L/∂y (same shape as y), reads the saved tensors back
#   from `ctx.saved_tensors` and returns ∂L/∂x = grad_output · 3x².
#
# `save_for_backward` (rather than `ctx.x = x`) lets torch free the tensors after backward and
# raise an error if one of them is modified in place before backward runs (otherwise you would
# silently get a wrong gradient). Return new tensors from both methods: never modify `x` or
# `grad_output` in place (`grad_output` may be the caller's tensor, or shared with another
# branch of the graph). The tests call backward with `gradient=v` on outputs of any shape, twice
# (gradients must accumulate), inside a bigger network, in float32 and float64, and compare your
# backward with central differences of your forward (what `torch.autograd.gradcheck` does).
#
# **Points: 12**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | Cube: forward and backward (visible) | 3 |
# | Cube: values, every shape and way of calling backward | 3 |
# | Cube: the Jacobian of backward (gradcheck) | 2 |
# | Cube: float32 | 1 |
# | Cube: accumulated gradients, a retained graph, inside a network | 2 |
# | Cube: ctx.save_for_backward | 1 |

# %% nbgrader={"grade": false, "grade_id": "cube-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class Cube(Function):
    """y = x³ element-wise, with its own backward: ∂L/∂x = grad_output · 3x²."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        return x**3
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "cube-visible", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="Cube: forward and backward (visible)"
# Visible tests: Cube is a Function whose node torch calls, on a vector (backward with gradient=v)
# and on a 0-d tensor (plain backward()).
check_custom_function_class("Cube", [0.5, -1.5, 2.0])
check_custom_function("Cube", [
    {"name": "a vector", "x": [-2.0, -0.5, 0.0, 1.0, 3.0]},
    {"name": "a 0-d tensor", "x": 1.5, "grad": "none"},
])
print("Cube passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "cube-values", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="Cube: values, every shape and way of calling backward"
# Hidden tests: forward and backward values in float64, every shape, every way of calling backward.
### BEGIN HIDDEN TESTS
check_custom_function("Cube", [
    {"name": "a 0-d tensor", "x": -0.7, "grad": "none"},
    {"name": "a vector", "shape": [7], "seed": 1, "scale": 2.0},
    {"name": "a matrix", "shape": [3, 4], "seed": 2, "scale": 3.0},
    {"name": "a 3-d tensor", "shape": [2, 3, 2], "seed": 3, "scale": 10.0},
    {"name": "edge values", "x": [0.0, -0.0, 1e-3, -1e-3, 1e3, -1e3, 12.5]},
    {"name": "sum", "shape": [5], "seed": 4, "grad": "sum"},
    {"name": "ones", "shape": [2, 2], "seed": 5, "grad": "ones"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "cube-gradcheck", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="Cube: the Jacobian of backward (gradcheck)"
# Hidden tests: in float64, the Jacobian of your backward equals the central differences of your
# forward (computed by the grader), and torch.autograd.gradcheck agrees.
### BEGIN HIDDEN TESTS
check_gradcheck("Cube", [[0.3, -1.2, 2.0], [[1.5, -0.7], [0.0, 4.0]]])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "cube-float32", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="Cube: float32"
# Hidden tests: float32 inputs give float32 outputs and gradients, close to torch's.
### BEGIN HIDDEN TESTS
check_custom_function("Cube", [
    {"name": "float32 vector", "shape": [6], "seed": 6, "scale": 3.0, "dtype": "float32"},
    {"name": "float32 matrix, twice", "shape": [2, 3], "seed": 7, "dtype": "float32", "again": "new"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "cube-accumulate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="Cube: accumulated gradients, a retained graph, inside a network"
# Hidden tests: gradients accumulate over two calls, backward runs twice through a retained graph,
# and Cube works inside a network whose other branch uses the same input.
### BEGIN HIDDEN TESTS
check_custom_function("Cube", [
    {"name": "two calls", "shape": [4], "seed": 8, "again": "new"},
    {"name": "two backwards", "shape": [2, 3], "seed": 9, "again": "retain"},
    {"name": "two calls, sum", "shape": [3], "seed": 10, "grad": "sum", "again": "new"},
])
check_in_graph("Cube", [{"seed": 1}, {"seed": 2, "scale": 2.0, "dtype": "float32"}])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "cube-saved", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="Cube: ctx.save_for_backward"
# Hidden tests: Cube saves what backward needs with ctx.save_for_backward.
### BEGIN HIDDEN TESTS
check_saves_for_backward("Cube", [0.5, -1.5, 2.0])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "grl-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. `GradReverse`: the gradient reversal layer
#
# In domain-adversarial training (Ganin & Lempitsky, 2015) a feature extractor feeds two heads:
# one predicts the label, the other guesses which domain (say, synthetic or real images) the
# input came from. The domain head should get *better* at guessing, the features *worse* at
# giving the domain away. One backward pass does both if a layer between the features and the
# domain head leaves values unchanged going forward and multiplies the gradient by −λ going back:
#
# $$\text{forward: } y = x \qquad\qquad \text{backward: } \frac{\partial L}{\partial x} = -\lambda\,\frac{\partial L}{\partial y}$$
#
# Write `GradReverse` with `forward(ctx, x, lambd)` (λ is a Python float, any sign, 0 included)
# and `backward(ctx, grad_output)`. backward returns one value per input of forward: the gradient
# for x, and `None` for λ (it is not a tensor). forward must return a **new tensor** equal to x,
# not x itself and not a view of it (such as `x.view_as(x)`, common in published code): torch
# forbids in-place changes of an output that is a view made inside a custom Function, and an
# output sharing x's memory would let them change x. The tests apply `y.mul_(c)` to your output.
#
# **Points: 10**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | GradReverse: the reversed gradient (visible) | 3 |
# | GradReverse: many λ, shapes, float32 | 3 |
# | GradReverse: a new output tensor | 2 |
# | GradReverse: inside a network | 2 |

# %% nbgrader={"grade": false, "grade_id": "grl-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class GradReverse(Function):
    """The identity going forward; the gradient times −λ going backward."""

    @staticmethod
    def forward(ctx, x, lambd):
        ### BEGIN SOLUTION
        ctx.lambd = lambd
        return x.clone()
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        return -ctx.lambd * grad_output, None
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "grl-visible", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="GradReverse: the reversed gradient (visible)"
# Visible tests: a Function whose node torch calls; λ = 1 and λ = 0.5 on small inputs.
check_custom_function_class("GradReverse", [0.5, -1.5, 2.0], [1.0])
check_custom_function("GradReverse", [
    {"name": "λ = 1", "x": [1.0, -2.0, 3.5], "args": [1.0]},
    {"name": "λ = 0.5", "shape": [2, 3], "seed": 1, "args": [0.5]},
])
print("GradReverse passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "grl-lambdas", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="GradReverse: many λ, shapes, float32"
# Hidden tests: many λ (0, negative, large), shapes, float32, accumulation over two calls.
### BEGIN HIDDEN TESTS
check_custom_function("GradReverse", [
    {"name": "λ = 0", "shape": [5], "seed": 2, "args": [0.0]},
    {"name": "λ = 0.3", "shape": [3, 4], "seed": 3, "args": [0.3]},
    {"name": "λ = 2.5", "shape": [2, 2, 3], "seed": 4, "args": [2.5], "scale": 5.0},
    {"name": "λ = 10", "shape": [4], "seed": 5, "args": [10.0]},
    {"name": "λ = -1", "shape": [4], "seed": 6, "args": [-1.0]},
    {"name": "0-d, λ = 0.7", "x": 2.0, "args": [0.7], "grad": "none"},
    {"name": "sum, λ = 1.5", "shape": [3], "seed": 7, "args": [1.5], "grad": "sum"},
    {"name": "two calls, λ = 0.25", "shape": [3], "seed": 8, "args": [0.25], "again": "new"},
    {"name": "two backwards, λ = 3", "shape": [2, 2], "seed": 9, "args": [3.0], "again": "retain"},
    {"name": "float32, λ = 0.8", "shape": [6], "seed": 10, "args": [0.8], "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "grl-identity", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="GradReverse: a new output tensor"
# Hidden tests: the output is a new tensor: changing it in place leaves x alone and backward works.
### BEGIN HIDDEN TESTS
check_fresh_output("GradReverse", [
    {"name": "y.mul_(2)", "shape": [4], "seed": 11, "args": [0.7], "inplace": 2.0},
    {"name": "y.mul_(-0.5), float32", "shape": [2, 3], "seed": 12, "args": [1.5], "inplace": -0.5, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "grl-composed", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="GradReverse: inside a network"
# Hidden tests: GradReverse inside a network: the layers before it get reversed gradients, the
# branch that does not go through it does not.
### BEGIN HIDDEN TESTS
check_in_graph("GradReverse", [
    {"args": [0.5], "seed": 3},
    {"args": [1.0], "seed": 4},
    {"args": [2.0], "seed": 5, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "softplus-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. `StableSoftplus`: softplus(x) = log(1 + eˣ), for every x
#
# Softplus is a smooth ReLU; its derivative is the logistic sigmoid:
#
# $$\operatorname{softplus}(x) = \log(1 + e^x), \qquad \frac{d}{dx}\operatorname{softplus}(x) = \frac{e^x}{1+e^x} = \frac{1}{1+e^{-x}} = \sigma(x).$$
#
# Written as it stands, it breaks: eˣ overflows to `inf` for x > 709.8 in float64 (x > 88.7 in
# float32), so `log(1 + exp(x))` gives inf at x = 1000 (the answer is 1000), and
# `exp(x) / (1 + exp(x))` gives inf/inf = NaN (the answer is 1). Write `StableSoftplus` so that
# forward and backward are finite and accurate for **every** x, in float32 and float64:
#
# * rewrite the formula so that the exponential never receives a large positive argument (for
#   x > 0, take eˣ out of the logarithm: log(1 + eˣ) = x + log(1 + e⁻ˣ));
# * stay accurate where the result is tiny: for x ≪ 0, softplus(x) ≈ eˣ and σ(x) ≈ eˣ are far
#   below 1, and the tests check them to relative precision (at x = −50 the answer is 1.9e-22,
#   not 0). `torch.log1p(t)` computes log(1 + t) accurately for small t; `log(1 + t)` rounds
#   1 + t first and loses t;
# * for the derivative, use `torch.sigmoid` (it is stable) or a stable form of your own.
#
# Do not use torch's softplus (`F.softplus`, `nn.Softplus`): the autograder switches it off, so a
# class built on it fails its tests there, and is flagged (compare with it in a cell of your own).
# Save for backward what you need (x, or the output), and return new tensors.
#
# **Points: 12**, by test cell (the visible parts run here; the autograder runs each cell in full):
#
# | test | points |
# |---|---:|
# | StableSoftplus: values and gradient (visible) | 3 |
# | StableSoftplus: extreme inputs in float64 | 3 |
# | StableSoftplus: float32 | 2 |
# | StableSoftplus: relative precision for x ≪ 0 | 1 |
# | StableSoftplus: gradcheck, accumulation, inside a network | 2 |
# | StableSoftplus: your own formula | 1 |

# %% nbgrader={"grade": false, "grade_id": "softplus-impl", "locked": false, "schema_version": 3, "solution": true, "task": false}
class StableSoftplus(Function):
    """log(1 + eˣ) element-wise, finite and accurate for every x; its derivative is σ(x)."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad_output):
        ### BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)
        ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "softplus-visible", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="StableSoftplus: values and gradient (visible)"
# Visible tests: a Function whose node torch calls; moderate inputs and x = ±1000.
check_custom_function_class("StableSoftplus", [0.5, -1.5, 2.0])
check_custom_function("StableSoftplus", [
    {"name": "moderate x", "x": [-3.0, -0.5, 0.0, 0.5, 3.0]},
    {"name": "large |x|", "x": [-1000.0, 1000.0]},
])
print("StableSoftplus passes the visible tests.")

# %% nbgrader={"grade": true, "grade_id": "softplus-extremes", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false} title="StableSoftplus: extreme inputs in float64"
# Hidden tests: float64 where the naive formulas overflow, around 0, and large random inputs.
### BEGIN HIDDEN TESTS
check_custom_function("StableSoftplus", [
    {"name": "extremes", "x": [-1000.0, -710.0, -100.0, -50.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 50.0, 100.0,
                               710.0, 1000.0]},
    {"name": "large random", "shape": [3, 4], "seed": 1, "scale": 300.0},
    {"name": "0-d at 800", "x": 800.0, "grad": "none"},
    {"name": "0-d at -800", "x": -800.0, "grad": "none"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "softplus-float32", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="StableSoftplus: float32"
# Hidden tests: float32 (eˣ overflows from x ≈ 88.7): values, gradients and dtype.
### BEGIN HIDDEN TESTS
check_custom_function("StableSoftplus", [
    {"name": "float32 extremes", "x": [-1000.0, -100.0, -89.0, -50.0, -10.0, 0.0, 10.0, 50.0, 89.0, 100.0, 1000.0],
     "dtype": "float32"},
    {"name": "float32 random", "shape": [2, 5], "seed": 2, "scale": 60.0, "dtype": "float32", "again": "new"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "softplus-tiny", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="StableSoftplus: relative precision for x ≪ 0"
# Hidden tests: for x ≪ 0, softplus(x) ≈ eˣ and σ(x) ≈ eˣ to relative precision (log1p, not log(1 + ...)).
### BEGIN HIDDEN TESTS
check_relative("StableSoftplus", [
    {"name": "tiny results", "x": [-30.0, -50.0, -100.0, -300.0, -700.0], "grad": "ones"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "softplus-graph", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false} title="StableSoftplus: gradcheck, accumulation, inside a network"
# Hidden tests: gradcheck in float64, accumulation, and StableSoftplus inside a network, with
# pre-activations up to ±800.
### BEGIN HIDDEN TESTS
check_gradcheck("StableSoftplus", [[-2.0, 0.0, 0.3, 3.0], [[15.0, -15.0], [40.0, -40.0]]])
check_custom_function("StableSoftplus", [
    {"name": "two calls", "shape": [5], "seed": 3, "scale": 20.0, "again": "new"},
    {"name": "two backwards", "x": [-60.0, 0.5, 60.0], "again": "retain"},
])
check_in_graph("StableSoftplus", [
    {"seed": 6, "scale": 3.0},
    {"seed": 7, "scale": 800.0},
    {"seed": 8, "scale": 60.0, "dtype": "float32"},
])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "softplus-own-work", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} title="StableSoftplus: your own formula"
# Hidden tests: StableSoftplus is your own formula, not torch's softplus.
### BEGIN HIDDEN TESTS
check_own_softplus("StableSoftplus", [-1.0, 0.0, 1.0])
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "experiments-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Experiments (not graded)
#
# **Your Functions in a graph.** Your Functions appear as nodes of their own (orange) in the graph
# of any expression that uses them; hover one to see what it saved for backward. The gradient
# reversal sits between the features and one head only.

# %%
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
a = torch.tensor(0.8, requires_grad=True)
features = StableSoftplus.apply(a * x)
loss = Cube.apply(features).sum() + (GradReverse.apply(features, 0.5) * x).sum()
graph_figure(loss, {"x": x, "a": a, "loss": loss},
             title="Σ Cube(f) + Σ GradReverse(f, 0.5)·x, f = StableSoftplus(a·x)").show()
loss.backward()
print("a.grad =", a.grad.item())

# %% [markdown] nbgrader={"grade": false, "grade_id": "stability-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Where the naive formula breaks.** Your `StableSoftplus` next to log(1 + eˣ) with the derivative
# eˣ/(1 + eˣ) (written with torch operations, so autograd differentiates the naive formula), in
# float32 and float64. ✕ marks inputs where a result is inf or NaN.

# %%
def naive_softplus(t):
    return torch.log(1 + torch.exp(t))


for dtype, top in ((torch.float32, 200.0), (torch.float64, 1000.0)):
    xs = torch.linspace(-top, top, 401, dtype=dtype)
    stability_figure({"StableSoftplus": StableSoftplus.apply, "log(1 + exp(x))": naive_softplus}, xs,
                     title=f"softplus in {str(dtype).replace('torch.', '')}").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "grl-experiment-md", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **What the reversal does to the gradients.** A feature layer feeds a label head directly and a
# domain head through `GradReverse`. Compare the gradients each parameter gets with λ = 0 (the
# domain head does not train the features), λ = 1 and λ = 2, and without the layer at all: the
# heads' gradients do not change, the feature layer's domain part flips sign and scales with λ.

# %%
gen = torch.Generator().manual_seed(0)
inputs = torch.randn(8, 3, generator=gen)
W_feat, W_label, W_domain = (torch.randn(shape, generator=gen) for shape in ((3, 4), (4, 1), (4, 1)))


def gradients(lambd):
    params = [p.clone().requires_grad_() for p in (W_feat, W_label, W_domain)]
    h = torch.tanh(inputs @ params[0])
    domain_in = h if lambd is None else GradReverse.apply(h, lambd)
    loss = (h @ params[1]).pow(2).mean() + (domain_in @ params[2]).pow(2).mean()
    loss.backward()
    return [p.grad.reshape(-1)[:4].tolist() for p in params]


fig = go.Figure()
for lambd in (None, 0.0, 1.0, 2.0):
    grads = gradients(lambd)
    fig.add_trace(go.Bar(name="no layer" if lambd is None else f"λ = {lambd:g}",
                         x=[f"{name}[{i}]" for name in ("W_feat", "W_label", "W_domain") for i in range(4)],
                         y=[g for part in grads for g in part]))
fig.update_layout(barmode="group", height=380, title="The first gradient entries of each parameter").show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "accumulate-question", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **Question (graded by hand, 3 points).** Part 0 showed that `backward()` adds into `.grad`.
# (1) What goes wrong in a training loop that never clears the gradients, and how would the
# updates look after a few steps? (2) Give one situation where accumulating is exactly what you
# want. (3) Inside a `Function`'s `backward`, why must you return a new tensor rather than modify
# `grad_output` in place? Answer in a few sentences in the cell below.
#
# *Rubric (3 points, one per part):* (1) what the updates of a loop that never clears `.grad` are made
# of, and what that does to training; (2) one situation where accumulating is what you want, and why
# the result is then right; (3) what modifying `grad_output` in place would change, and for whom.

# %% [markdown] nbgrader={"grade": true, "grade_id": "accumulate-answer", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# (1) Without clearing, step t uses the sum of all gradients computed so far, g₁ + … + g_t, not
# g_t: the updates grow (roughly linearly if the gradients agree), keep pushing in old directions
# after the loss surface has changed, and training overshoots or diverges; it acts like a badly
# tuned momentum without decay. (2) Gradient accumulation on purpose: a batch too large for memory
# is split into micro-batches, backward is called on each (loss divided by their number), and the
# optimizer steps once: the result is the gradient of the full batch. The same rule makes a
# tensor used twice in one graph receive the sum of both contributions. (3) `grad_output` may be
# the very tensor the caller passed to `backward(gradient=v)`, or a buffer shared with other
# branches of the graph (a gradient that fans out): modifying it changes the caller's data or the
# gradient another node receives, and torch may even hand an expanded tensor (one element shared
# by many positions) that cannot be written to at all.
#
# *Notes for graders (instructors only):* one point each for (1) stale gradients summing up (growing or wrong
# updates), (2) a correct use of accumulation (micro-batches / several losses / a tensor used
# twice), (3) the aliasing argument (the caller's tensor or a shared buffer is changed).
