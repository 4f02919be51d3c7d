"""The book's interactive figures: sliders over a parameter, every state computed in Python at build
time (plotly sliders that switch traces), so they work in the static site with no kernel.

Only the book's pages use this module (the student notebooks do not inline it); each function takes
the numbers the page computed and returns a plotly figure.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from .functions import grid
from .plots import COLORS, add_slider, contour_with_paths, covering, marker_key

GREY = "#7f7f7f"


def _span(values: Sequence[float], pad: float = 0.05) -> list[float]:
    """[low, high] around every value, with a margin."""
    finite = [v for v in values if math.isfinite(v)]
    low, high = min(finite), max(finite)
    margin = pad * (high - low or 1.0)
    return [low - margin, high + margin]


def _ends(x: Sequence[float], y: Sequence[float], color: str, size: int = 11) -> list[go.Scatter]:
    """○ at the first point and ✕ at the last."""
    return [go.Scatter(x=[x[0]], y=[y[0]], mode="markers", showlegend=False, hoverinfo="skip",
                       marker={"symbol": "circle-open", "size": size, "color": color}),
            go.Scatter(x=[x[-1]], y=[y[-1]], mode="markers", showlegend=False, hoverinfo="skip",
                       marker={"symbol": "x", "size": size, "color": color})]


# ---- gradient descent -----------------------------------------------------------------------------

def quadratic_slider(runs: dict[float, list[float]], h: float = 1.0, title: str = "",
                     height: int = 560) -> go.Figure:
    """Gradient descent on f(x) = h x²/2, one state per value of γh: the iterates on the parabola
    (left) and x_t against t (right). `runs` maps γh to the iterates x_0, x_1, ..."""
    reach = 1.05 * max(abs(v) for xs in runs.values() for v in xs if math.isfinite(v))
    fig = make_subplots(rows=1, cols=2, subplot_titles=("the iterates on f(x) = hx²/2", "x_t against the step t"),
                        horizontal_spacing=0.1)
    curve = np.linspace(-reach, reach, 121)
    fig.add_trace(go.Scatter(x=curve, y=h * curve**2 / 2, mode="lines", line={"color": GREY, "width": 1.5},
                             hoverinfo="skip", showlegend=False), 1, 1)
    states = []
    for gamma_h, xs in runs.items():
        factor = 1 - gamma_h
        traces = [go.Scatter(x=xs, y=[h * x * x / 2 for x in xs], mode="lines+markers", showlegend=False,
                             line={"color": COLORS[1], "width": 1.5}, marker={"size": 5},
                             hovertemplate="x = %{x:.3g}<extra></extra>")]
        traces += _ends(xs, [h * x * x / 2 for x in xs], COLORS[1])
        traces.append(go.Scatter(x=list(range(len(xs))), y=xs, mode="lines+markers", showlegend=False,
                                 line={"color": COLORS[0], "width": 1.5}, marker={"size": 5},
                                 hovertemplate="t = %{x}: x = %{y:.3g}<extra></extra>", xaxis="x2", yaxis="y2"))
        note = (f"γh = {gamma_h:g}: each step multiplies x by 1 − γh = {factor:+.2f};"
                f" x_{len(xs) - 1} = {xs[-1]:.3g}")
        states.append((f"{gamma_h:g}", traces, note))
    add_slider(fig, states, prefix="γh = ", active=list(runs).index(1.5) if 1.5 in runs else 0)
    marker_key(fig)  # added after the slider's traces: shown in every state
    steps = max(len(xs) for xs in runs.values()) - 1
    fig.update_xaxes(range=[-reach, reach], title_text="x", row=1, col=1)
    fig.update_yaxes(range=[-0.03 * h * reach**2, 0.53 * h * reach**2], title_text="f(x)", row=1, col=1)
    fig.update_xaxes(range=[-0.5, steps + 0.5], title_text="step t", row=1, col=2)
    fig.update_yaxes(range=[-reach, reach], title_text="x_t", row=1, col=2)
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10})
    return fig


def basins_slider(side: torch.Tensor, labels: dict[float, torch.Tensor], minima: Sequence[tuple],
                  names: Sequence[str], colors: Sequence[str], title: str = "", height: int = 620) -> go.Figure:
    """The minimum gradient descent reaches from each start of a grid side × side, one state per
    learning rate. `labels[lr]` holds the index of the minimum reached from each start (in the order
    of torch.meshgrid(side, side, indexing="xy"), flattened), -1 for none (grey)."""
    scale = [[0.0, GREY], [1 / (len(colors) + 1), GREY]]
    for k, color in enumerate(colors):
        scale += [[(k + 1) / (len(colors) + 1), color], [(k + 2) / (len(colors) + 1), color]]
    fig = go.Figure()
    states = []
    n = len(side)
    for lr, label in labels.items():
        heat = go.Heatmap(x=side.tolist(), y=side.tolist(), z=label.reshape(n, n).tolist(), zmin=-1.5,
                          zmax=len(colors) - 0.5, colorscale=scale, showscale=False,
                          hovertemplate="start (%{x:.2f}, %{y:.2f}) → minimum %{z}<extra></extra>")
        none = int((label < 0).sum())
        states.append((f"{lr:g}", [heat], f"γ = {lr:g}: {none} of {label.numel()} starts reach no minimum"))
    add_slider(fig, states, prefix="γ = ")
    for (a, b), name, color in zip(minima, names, colors):  # after the heatmaps: drawn on top
        fig.add_trace(go.Scatter(x=[a], y=[b], mode="markers", name=f"minimum {name}",
                                 marker={"symbol": "star", "size": 15, "color": color,
                                         "line": {"width": 1.5, "color": "white"}}))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="no minimum reached",
                             marker={"symbol": "square", "size": 12, "color": GREY}))
    lo, hi = float(side[0]), float(side[-1])
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10},
                      xaxis={"title": "start x", "range": [lo, hi], "constrain": "domain"},
                      yaxis={"title": "start y", "range": [lo, hi], "scaleanchor": "x"})
    return fig


# ---- momentum -------------------------------------------------------------------------------------

def paths_slider(fn: Callable[..., torch.Tensor], xs: tuple, ys: tuple, paths: dict[str, torch.Tensor],
                 notes: dict[str, str], prefix: str, title: str = "", height: int = 580,
                 active: int = 0) -> go.Figure:
    """The contour of fn with one path per state of a slider (labels: the keys of `paths`)."""
    points = {k: p.detach().tolist() for k, p in paths.items()}
    ends = [q for p in points.values() for q in (p[0], p[-1])]
    xs, ys = covering(xs, [q[0] for q in ends]), covering(ys, [q[1] for q in ends])
    fig = contour_with_paths(fn, xs, ys, {}, height=height)
    marker_key(fig)
    states = []
    for label, p in points.items():
        x, y = [q[0] for q in p], [q[1] for q in p]
        traces = [go.Scatter(x=x, y=y, mode="lines+markers", showlegend=False, marker={"size": 4},
                             line={"color": COLORS[1], "width": 2},
                             hovertemplate="(%{x:.3g}, %{y:.3g})<extra></extra>")]
        states.append((label, traces + _ends(x, y, COLORS[1]), notes[label]))
    add_slider(fig, states, prefix=prefix, active=active)
    fig.update_layout(title=title, xaxis={"range": list(xs)}, yaxis={"range": list(ys)})
    return fig


def rate_map(gammas: np.ndarray, mus: np.ndarray, rates: np.ndarray, curvatures: Sequence[float],
             best: tuple[float, float], title: str = "", height: int = 520) -> go.Figure:
    """The heavy ball's rate per step on a quadratic with the given curvatures, over (γ, μ): a
    heatmap of rates[μ index, γ index] (blank where it diverges), the critical-damping curve
    μ = (1 − √(γh))² of each curvature (both edges of its complex band (1 ± √μ)²), the stability
    limit γ = 2(1 + μ)/h_max and the optimum."""
    shown = np.where(rates < 1, rates, np.nan)
    low = max(0.0, float(np.floor(10 * np.nanmin(shown)) / 10))  # the colours span the rates there are
    fig = go.Figure(go.Heatmap(x=gammas, y=mus, z=shown, zmin=low, zmax=1, colorscale="Viridis_r",
                               colorbar={"title": {"text": "rate", "side": "right"}, "len": 0.8},
                               hovertemplate="γ = %{x:.3f}, μ = %{y:.3f}: rate %{z:.3f}<extra></extra>"))
    styles = [("#17becf", "dot"), ("#e377c2", "dash"), ("#bcbd22", "dashdot")]
    for i, h in enumerate(curvatures):
        mu_edge = (1 - np.sqrt(gammas * h)) ** 2  # both edges of the band of this curvature
        g = gammas[mu_edge <= mus[-1]]  # the part inside the map
        color, dash = styles[i % len(styles)]
        fig.add_trace(go.Scatter(x=g, y=(1 - np.sqrt(g * h)) ** 2, mode="lines", name=f"critical damping, h = {h:g}",
                                 line={"color": color, "width": 2.5, "dash": dash}))
    h_max = max(curvatures)
    mu_line = mus[2 * (1 + mus) / h_max <= gammas[-1]]
    fig.add_trace(go.Scatter(x=2 * (1 + mu_line) / h_max, y=mu_line, mode="lines", name="stability limit γh = 2(1 + μ)",
                             line={"color": "#d62728", "width": 2}))
    fig.add_trace(go.Scatter(x=[best[0]], y=[best[1]], mode="markers", name="optimum (γ*, μ*)",
                             marker={"symbol": "star", "size": 16, "color": "#ff7f0e",
                                     "line": {"width": 1, "color": "black"}}))
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10},
                      xaxis={"title": "learning rate γ", "range": [float(gammas[0]), float(gammas[-1])]},
                      yaxis={"title": "momentum μ", "range": [float(mus[0]), float(mus[-1])]},
                      legend={"orientation": "h", "y": -0.18})
    return fig


# ---- Adam -------------------------------------------------------------------------------------------

def adam_steps_slider(gradients: Sequence[float], runs: dict[tuple[float, float], dict], title: str = "",
                      height: int = 640) -> go.Figure:
    """Adam's first steps on a given gradient sequence, one state per (β1, β2): the bias-corrected
    moments m̂ and √v̂ (top) and the step in units of γ, with and without bias correction (bottom)."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("the gradient g_t, m̂_t and √v̂_t", "the step, in units of γ"))
    t = list(range(1, len(gradients) + 1))
    fig.add_trace(go.Scatter(x=t, y=list(gradients), mode="markers", name="gradient g_t",
                             marker={"size": 4, "color": GREY}), 1, 1)
    corrected = [v for run in runs.values() for v in run["step"]]
    low, high = min(-1.0, min(corrected)) - 0.2, max(1.5, max(corrected)) + 0.2  # the step panel's range
    states = []
    for (beta1, beta2), run in runs.items():
        shown = [v if low <= v <= high else None for v in run["step_uncorrected"]]  # a gap where off the panel
        traces = [
            go.Scatter(x=t, y=run["m_hat"], mode="lines", name="m̂_t", line={"color": COLORS[0], "width": 2},
                       showlegend=False),
            go.Scatter(x=t, y=run["sqrt_v_hat"], mode="lines", name="√v̂_t", line={"color": COLORS[1], "width": 2},
                       showlegend=False),
            go.Scatter(x=t, y=run["step"], mode="lines", name="step / γ", line={"color": COLORS[2], "width": 2},
                       showlegend=False, xaxis="x2", yaxis="y2"),
            go.Scatter(x=t, y=shown, mode="lines", name="step / γ without bias correction",
                       line={"color": COLORS[3], "width": 2, "dash": "dot"}, showlegend=False, xaxis="x2", yaxis="y2"),
        ]
        note = (f"β1 {beta1:g}, β2 {beta2:g}: first step {run['step'][0]:.2f} γ, largest {max(run['step']):.2f} γ,"
                f" uncorrected up to {max(run['step_uncorrected']):.1f} γ")
        states.append((f"{beta1:g} / {beta2:g}", traces, note))
    active = next((i for i, k in enumerate(runs) if k == (0.9, 0.999)), 0)
    add_slider(fig, states, prefix="β1 / β2 = ", active=active)
    for i, (name, color, dash) in enumerate([("m̂_t", COLORS[0], "solid"), ("√v̂_t", COLORS[1], "solid"),
                                             ("step / γ", COLORS[2], "solid"),
                                             ("step / γ, no bias correction", COLORS[3], "dot")]):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, line={"color": color, "dash": dash}))
    values = [v for run in runs.values() for key in ("m_hat", "sqrt_v_hat") for v in run[key]] + list(gradients)
    fig.update_yaxes(range=_span(values), row=1, col=1)
    fig.update_yaxes(range=[low, high], row=2, col=1)
    fig.update_xaxes(range=[0, len(gradients) + 1])
    fig.update_xaxes(title_text="step t", row=2, col=1)
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10})
    return fig


def histogram_slider(snapshots: dict[str, dict[str, np.ndarray]], bins: np.ndarray, x_title: str,
                     title: str = "", height: int = 540, prefix: str = "") -> go.Figure:
    """One histogram per series at each snapshot, a slider over the snapshots (labelled by the keys
    of `snapshots`, after `prefix`). `snapshots[label]` maps a series name (a parameter tensor) to
    its values in log10 units; `bins` are the edges, in log10 units too. The x axis is logarithmic."""
    fig = go.Figure()
    names = list(next(iter(snapshots.values())))
    centers = 10 ** ((bins[:-1] + bins[1:]) / 2)
    for i, name in enumerate(names):  # the legend, in every state
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2}))
    top = 0.0
    states = []
    for label, series in snapshots.items():
        traces = []
        for i, name in enumerate(names):
            counts, _ = np.histogram(series[name], bins=bins)
            share = counts / max(1, len(series[name]))
            top = max(top, float(share.max()))
            traces.append(go.Scatter(x=centers, y=share, mode="lines", line={"color": COLORS[i % len(COLORS)],
                                                                            "width": 2, "shape": "hvh"},
                                     name=name, showlegend=False,
                                     hovertemplate=f"{name}: %{{y:.1%}} near %{{x:.2g}}<extra></extra>"))
        medians = ", ".join(f"{name} {10 ** float(np.median(series[name])):.2g}" for name in names)
        states.append((label, traces, f"{prefix}{label}: medians {medians}"))
    add_slider(fig, states, prefix=prefix)
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10},
                      xaxis={"title": x_title, "type": "log", "exponentformat": "power",
                             "range": [float(bins[0]), float(bins[-1])]},
                      yaxis={"title": "share of the entries", "range": [0, 1.05 * top], "tickformat": ".0%"})
    return fig


# ---- symmetry ----------------------------------------------------------------------------------------

def scale_slider(depth_stds: dict[float, dict[str, list[float]]], title: str = "", height: int = 540,
                 active: Optional[int] = None) -> go.Figure:
    """The standard deviation of the activations, layer by layer (log axis), one line per
    initialization, one state per value of the gain that multiplies the weights."""
    fig = go.Figure()
    values = [v for runs in depth_stds.values() for stds in runs.values() for v in stds if v > 0]
    states = []
    for gain, runs in depth_stds.items():
        traces = [go.Scatter(x=list(range(len(stds))), y=stds, mode="lines+markers", name=name, showlegend=False,
                             line={"color": COLORS[i % len(COLORS)], "width": 2}, marker={"size": 5})
                  for i, (name, stds) in enumerate(runs.items())]
        last = [stds[-1] for stds in runs.values()]
        states.append((f"{gain:g}", traces, f"gain {gain:g}: the last layer's std is between {min(last):.1e}"
                                            f" and {max(last):.1e}"))
    add_slider(fig, states, prefix="gain × ", active=active or 0)
    names = list(next(iter(depth_stds.values())))
    for i, name in enumerate(names):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines+markers", name=name,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2}))
    depth = max(len(stds) for runs in depth_stds.values() for stds in runs.values()) - 1
    low, high = math.log10(min(values)), math.log10(max(values))
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 10},
                      xaxis={"title": "layer", "range": [-0.3, depth + 0.3]},
                      yaxis={"title": "std of the activations", "type": "log", "exponentformat": "power",
                             "range": [low - 0.3, high + 0.3]})
    return fig


# ---- schedules ---------------------------------------------------------------------------------------

def range_test_figure(lrs: Sequence[float], losses: Sequence[float], smoothed: Sequence[float],
                      chosen: float, steepest: float, title: str = "", height: int = 400) -> go.Figure:
    """The learning-rate range test: the loss of each minibatch while the lr grows exponentially
    (log x axis), its smoothed version, and the lr it suggests."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(lrs), y=list(losses), mode="markers", name="minibatch loss",
                             marker={"size": 3, "color": GREY}))
    fig.add_trace(go.Scatter(x=list(lrs), y=list(smoothed), mode="lines", name="smoothed",
                             line={"color": COLORS[0], "width": 2}))
    finite = [v for v in list(losses) + list(smoothed) if math.isfinite(v)]
    top = min(max(finite), 4 * min(finite) + 3)
    for x, name, color in ((steepest, "steepest descent", COLORS[2]), (chosen, "lowest smoothed loss", COLORS[1])):
        fig.add_trace(go.Scatter(x=[x, x], y=[0, top], mode="lines", name=f"{name}: {x:.2g}",
                                 line={"color": color, "dash": "dash", "width": 2}))
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10},
                      xaxis={"title": "learning rate (log axis)", "type": "log", "exponentformat": "power",
                             "range": [math.log10(lrs[0]) - 0.1, math.log10(lrs[-1]) + 0.1]},
                      yaxis={"title": "training loss", "range": [0, top]},
                      legend={"orientation": "h", "y": -0.22})
    return fig


def grid_values(fn: Callable[..., torch.Tensor], xs: tuple, ys: tuple, n: int = 72) -> tuple:
    """fn on an n × n grid (x values, y values, z[y, x])."""
    return grid(fn, xs, ys, n)
