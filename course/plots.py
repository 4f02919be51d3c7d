"""Plotly figures of the course: a function's contour with optimizer paths, start and end marked."""

from typing import Callable, Optional

import plotly.graph_objects as go
import torch

from .functions import grid

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def contour_with_paths(fn: Callable[..., torch.Tensor], xs: tuple, ys: tuple, paths: dict,
                       title: str = "", log: bool = False, height: int = 480,
                       n: Optional[int] = 100) -> go.Figure:
    """A contour of fn over xs × ys with one line per path; ○ marks each start and ✕ each end."""
    x, y, z = grid(fn, xs, ys, n or 100)
    if log:
        zt = torch.tensor(z)
        z = torch.log10(zt - zt.min() + 1.0).tolist()
    fig = go.Figure(go.Contour(x=x, y=y, z=z, colorscale="Viridis", ncontours=30, showscale=False,
                               hoverinfo="skip", opacity=0.85))
    for i, (name, path) in enumerate(paths.items()):
        p = path.detach().cpu().tolist() if isinstance(path, torch.Tensor) else path
        color = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=[q[0] for q in p], y=[q[1] for q in p], mode="lines", name=name,
                                 line={"color": color, "width": 2}, legendgroup=name))
        fig.add_trace(go.Scatter(x=[p[0][0]], y=[p[0][1]], mode="markers", showlegend=False, legendgroup=name,
                                 marker={"symbol": "circle-open", "size": 11, "color": color}, name=f"{name} start"))
        fig.add_trace(go.Scatter(x=[p[-1][0]], y=[p[-1][1]], mode="markers", showlegend=False, legendgroup=name,
                                 marker={"symbol": "x", "size": 11, "color": color}, name=f"{name} end"))
    fig.update_layout(title=title, height=height, margin={"l": 40, "r": 10, "t": 40, "b": 40},
                      xaxis={"range": list(xs), "title": "x"}, yaxis={"range": list(ys), "title": "y"},
                      legend={"orientation": "h", "y": -0.15})
    return fig
