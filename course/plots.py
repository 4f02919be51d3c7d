"""Plotly figures of the course: a function's contour with optimizer paths, start and end marked."""

from typing import Callable, Optional

import plotly.graph_objects as go
import torch

from .functions import grid

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
MARKER_KEY = "#555555"  # the colour of the legend entries that explain ○ and ✕


def covering(span: tuple, values: list, margin: float = 0.04) -> tuple:
    """The interval `span`, widened (by `margin` of its length beyond the furthest value) to contain
    every value: a figure's axis that shows where each path starts and ends."""
    low, high = min([span[0], *values]), max([span[1], *values])
    if (low, high) == (span[0], span[1]):
        return tuple(span)
    pad = margin * (high - low)
    return (low - pad if low < span[0] else low, high + pad if high > span[1] else high)


def marker_key(fig: go.Figure, start: bool = True, end: bool = True) -> go.Figure:
    """Legend entries that say what the markers mean: ○ a path's start, ✕ its end."""
    if start:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="start", hoverinfo="skip",
                                 marker={"symbol": "circle-open", "size": 11, "color": MARKER_KEY}))
    if end:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="end", hoverinfo="skip",
                                 marker={"symbol": "x", "size": 11, "color": MARKER_KEY}))
    return fig


def contour_with_paths(fn: Callable[..., torch.Tensor], xs: tuple, ys: tuple, paths: dict,
                       title: str = "", log: bool = False, height: int = 480,
                       n: Optional[int] = 72) -> go.Figure:
    """A contour of fn over xs × ys with one line per path; ○ marks each start and ✕ each end.

    The axes widen beyond xs × ys where a path starts or ends outside them, so every ○ and ✕ shows."""
    points = [path.detach().cpu().tolist() if isinstance(path, torch.Tensor) else path for path in paths.values()]
    ends = [q for p in points if len(p) for q in (p[0], p[-1])]
    xs, ys = covering(xs, [q[0] for q in ends]), covering(ys, [q[1] for q in ends])
    x, y, z = grid(fn, xs, ys, n or 72)
    if log:
        zt = torch.tensor(z)
        z = torch.log10(zt - zt.min() + 1.0).tolist()
    fig = go.Figure(go.Contour(x=x, y=y, z=z, colorscale="Viridis", ncontours=30, showscale=False,
                               hoverinfo="skip", opacity=0.85, showlegend=False))
    for i, (name, p) in enumerate(zip(paths, points)):
        color = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=[q[0] for q in p], y=[q[1] for q in p], mode="lines", name=name,
                                 line={"color": color, "width": 2}, legendgroup=name))
        if not p:
            continue
        fig.add_trace(go.Scatter(x=[p[0][0]], y=[p[0][1]], mode="markers", showlegend=False, legendgroup=name,
                                 marker={"symbol": "circle-open", "size": 11, "color": color}, name=f"{name} start"))
        fig.add_trace(go.Scatter(x=[p[-1][0]], y=[p[-1][1]], mode="markers", showlegend=False, legendgroup=name,
                                 marker={"symbol": "x", "size": 11, "color": color}, name=f"{name} end"))
    if points:
        marker_key(fig)
    fig.update_layout(title=title, height=height, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      xaxis={"range": list(xs), "title": "x"}, yaxis={"range": list(ys), "title": "y"},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def wrap_note(text: str, width: int = 52) -> str:
    """A note on at most two lines (plotly does not wrap): broken after the last ", " or ": " that
    keeps the first line within `width` characters, so that a phone shows it whole."""
    if len(text) <= width:
        return text
    cut = max(text.rfind(", ", 0, width), text.rfind(": ", 0, width))
    return text if cut < 0 else text[:cut + 1] + "<br>" + text[cut + 2:]


def add_slider(fig: go.Figure, states: list, prefix: str, active: int = 0) -> go.Figure:
    """A slider that shows one state of the figure at a time. `states` is a list of
    (label, traces, note): the traces drawn in that state (added to the figure here) and a line of
    text shown above the plot (what changes). Traces already in the figure, or added after, stay in
    every state.

    Everything is computed in Python: the figure works in a static page, with no kernel. The top
    margin holds, from the top, plotly's toolbar, the note and the subplot titles; the bottom one
    the axis title, the slider and the legend."""
    first = len(fig.data)
    owner: list[int] = []  # the state each added trace belongs to
    for i, (_, traces, _) in enumerate(states):
        for trace in traces:
            trace.visible = i == active
            fig.add_trace(trace)
            owner.append(i)
    owned = list(range(first, first + len(owner)))  # a step restyles these only: traces added later stay
    note = len(fig.layout.annotations)
    top = 106  # px: toolbar 0-30, the note (two lines at most) 34-76, subplot titles 84-106
    fig.add_annotation(text=wrap_note(states[active][2]), xref="paper", yref="paper", x=0, y=1, xanchor="left",
                       yanchor="bottom", yshift=top - 76, showarrow=False, align="left", font={"size": 13})
    steps = [{"method": "update", "label": label,
              "args": [{"visible": [o == i for o in owner]}, {f"annotations[{note}].text": wrap_note(text)}, owned]}
             for i, (label, _, text) in enumerate(states)]
    fig.update_layout(sliders=[{"active": active, "steps": steps, "currentvalue": {"prefix": prefix},
                                "pad": {"t": 48}}],
                      legend={"orientation": "h", "yref": "container", "y": 0.005, "yanchor": "bottom",
                              "x": 0, "xanchor": "left"})
    margin = fig.layout.margin
    fig.update_layout(margin={"t": max(top, margin.t or 0), "b": max(150, margin.b or 0)})
    return fig
