"""The momentum chapter's figures: a ravine, loss curves, a slider over μ and per-step convergence rates.

Shared by the book page (`book/momentum.md`, with torch's SGD) and the assignment's ungraded
experiments (inlined, with the student's MySGD): every function takes the optimizer class.
"""

from typing import Any, Callable, Optional

import numpy as np
import plotly.graph_objects as go
import torch

from .functions import trajectory
from .plots import COLORS, add_slider, contour_with_paths, covering, marker_key


def ravine(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """An ill-conditioned bowl: curvature 0.1 along x, 5 along y (condition number 50), minimum 0 at (0, 0)."""
    return 0.05 * x**2 + 2.5 * y**2


# (function, x range, y range, start), as in course.functions.TEST_FUNCTIONS
RAVINE: tuple[Callable[..., torch.Tensor], tuple, tuple, tuple] = (ravine, (-10.0, 4.0), (-3.0, 3.0), (-9.0, 2.0))


def losses(fn: Callable[..., torch.Tensor], path: torch.Tensor) -> list[float]:
    """fn along a (steps + 1, 2) path."""
    return fn(path[:, 0], path[:, 1]).tolist()


def loss_curves(fn: Callable[..., torch.Tensor], paths: dict, title: str = "", log: bool = True,
                height: int = 340) -> go.Figure:
    """The loss along each path against the step: on a log axis the slope is the rate of convergence."""
    fig = go.Figure()
    for i, (name, path) in enumerate(paths.items()):
        fig.add_trace(go.Scatter(y=losses(fn, path), mode="lines", name=name,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2}))
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      xaxis={"title": "step"}, yaxis={"title": "loss", "type": "log" if log else "linear",
                                                      "exponentformat": "power"},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def momentum_slider(optimizer_cls: Any, fn: Callable[..., torch.Tensor], xs: tuple, ys: tuple, start: tuple,
                    mus: list, steps: int = 100, title: str = "", log: bool = False, height: int = 560,
                    **options: Any) -> go.Figure:
    """One path per momentum μ in `mus` (same lr and start), shown one at a time by a slider; ○ marks
    the start, ✕ the end, and the axes widen to show every end."""
    paths = {mu: trajectory(optimizer_cls, fn, start, steps=steps, momentum=mu, **options).tolist() for mu in mus}
    ends = [q for path in paths.values() for q in (path[0], path[-1])]
    xs, ys = covering(xs, [q[0] for q in ends]), covering(ys, [q[1] for q in ends])
    fig = contour_with_paths(fn, xs, ys, {}, title=title, log=log, height=height)
    marker_key(fig)
    states = []
    for mu, path in paths.items():
        x, y = [q[0] for q in path], [q[1] for q in path]
        final = float(fn(torch.tensor(x[-1]), torch.tensor(y[-1])))
        traces = [go.Scatter(x=x, y=y, mode="lines+markers", name=f"μ = {mu:g}", marker={"size": 4},
                             line={"color": COLORS[1], "width": 2}, showlegend=False)]
        for symbol, i in (("circle-open", 0), ("x", -1)):
            traces.append(go.Scatter(x=[x[i]], y=[y[i]], mode="markers", showlegend=False, hoverinfo="skip",
                                     marker={"symbol": symbol, "size": 11, "color": COLORS[1]}))
        states.append((f"{mu:g}", traces, f"μ = {mu:g}: f = {final:.2g} after {len(path) - 1} steps"))
    add_slider(fig, states, prefix="momentum μ = ")
    return fig


def iteration_rate(gamma_h: np.ndarray, mu: float, nesterov: bool = False) -> np.ndarray:
    """How much one step shrinks the error along a direction of curvature h (the spectral radius).

    On f(θ) = h θ²/2 torch's update is linear in (θ, b); its two eigenvalues z solve
    z² − (1 + μ − γh) z + μ = 0 (heavy ball) or z² − (1 + μ)(1 − γh) z + μ(1 − γh) = 0 (Nesterov).
    With μ = 0 both are |1 − γh|, plain gradient descent. A rate above 1 diverges.
    """
    gamma_h = np.asarray(gamma_h, dtype=np.float64)
    if nesterov:
        b, c = -(1 + mu) * (1 - gamma_h), mu * (1 - gamma_h)
    else:
        b, c = -(1 + mu - gamma_h), np.full_like(gamma_h, mu)
    root = np.sqrt((b * b - 4 * c).astype(np.complex128))
    return np.maximum(np.abs((-b + root) / 2), np.abs((-b - root) / 2))


def rate_figure(settings: dict, gamma_h: Optional[np.ndarray] = None, height: int = 380) -> go.Figure:
    """Per-step rate against γh (log axis) for each label -> (μ, nesterov) in `settings`."""
    x = np.logspace(-3, np.log10(4.0), 400) if gamma_h is None else gamma_h
    fig = go.Figure()
    top = 1.3  # the figure shows rates up to here: a curve stops where it leaves the figure
    for i, (label, (mu, nesterov)) in enumerate(settings.items()):
        rate = iteration_rate(x, mu, nesterov)
        fig.add_trace(go.Scatter(x=x, y=np.where(rate <= top, rate, np.nan), mode="lines", name=label,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2,
                                       "dash": "dot" if nesterov else "solid"}))
    fig.add_hline(y=1.0, line={"color": "gray", "dash": "dash"})
    fig.update_layout(height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      title="Error kept per step along a direction of curvature h",
                      xaxis={"title": "γ·h (learning rate × curvature)", "type": "log", "exponentformat": "power"},
                      yaxis={"title": "rate per step (lower is faster; above 1 diverges)", "range": [0, top]},
                      legend={"orientation": "h", "y": -0.2})
    return fig

