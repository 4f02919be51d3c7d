"""The gradient-descent chapter's landscape, its local minima, random starts and figures.

f(x1, x2) = sin x1 · cos x2 + sin(x1/2) · cos(x2/2), written here for a tensor of points (..., 2)
so that one call evaluates one point or a whole batch. Its local minima come in three depths;
the list below holds every one in [-5, 15]² (found by running gradient descent from a 300 × 300
grid of starts, refined by Newton's method: positions to 1e-10).
"""

from typing import Optional

import plotly.graph_objects as go
import torch

from .functions import grid, sin_cos
from .plots import marker_key

BOX = (0.0, 10.0)  # the square the starts are drawn from

# ((x1, x2), f) of every local minimum in [-5, 15]²
SIN_COS_MINIMA: list[tuple[tuple[float, float], float]] = [
    ((-4.6453514822, -2.7734925709), -1.0645906614), ((-4.6453514822, 2.7734925709), -1.0645906614),
    ((-4.6453514822, 9.7928780435), -1.0645906614), ((-1.8718589113, 0.0), -1.7601725930),
    ((-1.8718589113, 12.5663706144), -1.7601725930), ((-1.1356587459, 6.2831853072), -0.3690087298),
    ((1.6378338250, -3.5096927363), -1.0645906614), ((1.6378338250, 3.5096927363), -1.0645906614),
    ((1.6378338250, 9.0566778780), -1.0645906614), ((4.4113263959, 6.2831853072), -1.7601725930),
    ((5.1475265613, 0.0), -0.3690087298), ((5.1475265613, 12.5663706144), -0.3690087298),
    ((7.9210191322, -2.7734925709), -1.0645906614), ((7.9210191322, 2.7734925709), -1.0645906614),
    ((7.9210191322, 9.7928780435), -1.0645906614), ((10.6945117030, 0.0), -1.7601725930),
    ((10.6945117030, 12.5663706144), -1.7601725930), ((11.4307118685, 6.2831853072), -0.3690087298),
    ((14.2042044394, -3.5096927363), -1.0645906614), ((14.2042044394, 3.5096927363), -1.0645906614),
    ((14.2042044394, 9.0566778780), -1.0645906614),
]

# The three depths of the minima, and the colour each is drawn in ("none": no minimum reached).
DEPTHS = {"deep (f ≈ −1.76)": -1.7601725930, "middle (f ≈ −1.06)": -1.0645906614, "shallow (f ≈ −0.37)": -0.3690087298}
DEPTH_COLORS = {"deep (f ≈ −1.76)": "#d62728", "middle (f ≈ −1.06)": "#ff7f0e", "shallow (f ≈ −0.37)": "#2ca02c",
                "no minimum": "#7f7f7f"}


def sin_cos_2d(points: torch.Tensor) -> torch.Tensor:
    """f at each point of a tensor (..., 2): a tensor (...) of values (one per point)."""
    return sin_cos(points[..., 0], points[..., 1])


def minima_tensor(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The minima's positions as an (m, 2) tensor, in the order of SIN_COS_MINIMA."""
    return torch.tensor([position for position, _ in SIN_COS_MINIMA], dtype=dtype)


def random_starts(n: int, seed: int = 0, box: tuple = BOX) -> torch.Tensor:
    """n starting points drawn uniformly from box², float64, reproducible through `seed`."""
    gen = torch.Generator().manual_seed(seed)
    return box[0] + (box[1] - box[0]) * torch.rand(n, 2, generator=gen, dtype=torch.float64)


def depth_name(label: int) -> str:
    """The depth class of minimum number `label` (-1: no minimum)."""
    if label < 0:
        return "no minimum"
    value = SIN_COS_MINIMA[label][1]
    return min(DEPTHS, key=lambda name: abs(DEPTHS[name] - value))


def outcomes(labels: torch.Tensor) -> dict[str, int]:
    """How many runs ended in a minimum of each depth (labels from reached_minima: -1 = none)."""
    counts = {name: 0 for name in DEPTH_COLORS}
    for label in labels.tolist():
        counts[depth_name(int(label))] += 1
    return counts


def _landscape(xs: tuple, ys: tuple, n: int = 90) -> go.Contour:
    x, y, z = grid(sin_cos, xs, ys, n)
    return go.Contour(x=x, y=y, z=z, colorscale="Viridis", ncontours=24, showscale=False, hoverinfo="skip",
                      opacity=0.8)


def _minima_markers(xs: tuple, ys: tuple) -> list[go.Scatter]:
    traces = []
    for name, color in DEPTH_COLORS.items():
        if name not in DEPTHS:
            continue
        inside = [p for p, v in SIN_COS_MINIMA if abs(v - DEPTHS[name]) < 1e-6
                  and xs[0] <= p[0] <= xs[1] and ys[0] <= p[1] <= ys[1]]
        traces.append(go.Scatter(x=[p[0] for p in inside], y=[p[1] for p in inside], mode="markers",
                                 marker={"symbol": "star", "size": 14, "color": color,
                                         "line": {"width": 1, "color": "white"}},
                                 name=f"minimum, {name}", legendgroup=name, showlegend=False, hoverinfo="x+y+name"))
    return traces


def _framed(fig: go.Figure, title: str, height: int, xs: tuple, ys: tuple) -> go.Figure:
    """The box BOX² dotted, equal axes over xs × ys, the legend below: the frame of every map of f."""
    fig.add_shape(type="rect", x0=BOX[0], y0=BOX[0], x1=BOX[1], y1=BOX[1], line={"color": "white", "dash": "dot"})
    fig.update_layout(title=title, height=height, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      xaxis={"range": list(xs), "title": "x1", "constrain": "domain"},
                      yaxis={"range": list(ys), "title": "x2", "scaleanchor": "x"},
                      legend={"orientation": "h", "y": -0.12})
    return fig


def landscape_figure(xs: tuple = (-2.0, 12.0), ys: tuple = (-2.0, 12.0), title: str = "",
                     height: int = 500) -> go.Figure:
    """The contour of f with its local minima as stars, coloured by depth; the dotted square is BOX²."""
    fig = go.Figure(_landscape(xs, ys))
    for trace in _minima_markers(xs, ys):
        trace.showlegend = True
        fig.add_trace(trace)
    return _framed(fig, title, height, xs, ys)


def paths_figure(paths: torch.Tensor, labels: Optional[torch.Tensor] = None, title: str = "",
                 max_paths: int = 80, xs: tuple = (-2.0, 12.0), ys: tuple = (-2.0, 12.0),
                 height: int = 520) -> go.Figure:
    """Trajectories (steps + 1, n, 2) on the contour of f, coloured by the depth of the minimum each
    reached (labels from reached_minima; grey: none); ○ marks the starts, stars the minima."""
    paths = paths.detach().cpu()
    n = paths.shape[1]
    labels = torch.full((n,), -1) if labels is None else labels.detach().cpu()
    fig = go.Figure(_landscape(xs, ys))
    shown: set = set()
    for i in range(min(n, max_paths)):
        name = depth_name(int(labels[i]))
        color = DEPTH_COLORS[name]
        path = paths[:, i][torch.isfinite(paths[:, i]).all(dim=1)]
        fig.add_trace(go.Scatter(x=path[:, 0].tolist(), y=path[:, 1].tolist(), mode="lines+markers",
                                 line={"color": color, "width": 1.5}, marker={"size": 3, "color": color},
                                 name=name, legendgroup=name, showlegend=name not in shown, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=path[:1, 0].tolist(), y=path[:1, 1].tolist(), mode="markers",
                                 marker={"symbol": "circle-open", "size": 8, "color": color}, legendgroup=name,
                                 showlegend=False, hoverinfo="skip"))
        shown.add(name)
    for trace in _minima_markers(xs, ys):
        fig.add_trace(trace)
    marker_key(fig, end=False)
    return _framed(fig, title, height, xs, ys)


def basins_figure(side: torch.Tensor, labels: torch.Tensor, title: str = "", height: int = 480) -> go.Figure:
    """Which depth of minimum gradient descent reaches from each start of a grid side × side
    (labels in the order of torch.meshgrid(side, side, indexing="xy"), flattened; grey: none)."""
    names = list(DEPTH_COLORS)  # deep, middle, shallow, no minimum
    classes = torch.tensor([names.index(depth_name(int(k))) for k in labels.tolist()])
    z = classes.reshape(len(side), len(side))
    scale = []
    for i, name in enumerate(names):  # one flat colour band per class
        scale += [[i / len(names), DEPTH_COLORS[name]], [(i + 1) / len(names), DEPTH_COLORS[name]]]
    text = [[names[int(c)] for c in row] for row in z.tolist()]
    fig = go.Figure(go.Heatmap(x=side.tolist(), y=side.tolist(), z=z.tolist(), zmin=-0.5, zmax=len(names) - 0.5,
                               colorscale=scale, showscale=False, text=text,
                               hovertemplate="start (%{x:.2f}, %{y:.2f}): %{text}<extra></extra>"))
    lo, hi = float(side[0]), float(side[-1])
    for trace in _minima_markers((lo, hi), (lo, hi)):
        trace.showlegend = True
        trace.marker.line.color = "black"
        fig.add_trace(trace)
    fig.update_layout(title=title, height=height, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      xaxis={"title": "start x1", "range": [lo, hi], "constrain": "domain"},
                      yaxis={"title": "start x2", "range": [lo, hi], "scaleanchor": "x"},
                      legend={"orientation": "h", "y": -0.15})
    return fig
