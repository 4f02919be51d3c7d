"""The autograd chapter's figures: the graph an expression builds, and a function's values in floating point.

Shared by the book page (`book/autograd.md`, with torch's own operations) and the assignment's
ungraded experiments (inlined, with the student's Functions): every function takes tensors or
callables, never a graded class by name.
"""

import math
from typing import Any, Callable, Optional

import plotly.graph_objects as go
import torch

from .plots import COLORS

NODE_COLORS = {"leaf": "#2ca02c", "op": "#1f77b4", "custom": "#ff7f0e", "output": "#d62728"}


def _tensor_text(t: torch.Tensor) -> str:
    shape = "scalar" if t.dim() == 0 else "×".join(map(str, t.shape))
    if t.numel() <= 4:
        return f"{shape} {[round(v, 4) for v in t.detach().reshape(-1).tolist()]}"
    return shape


def _saved(node: Any) -> list[str]:
    """What a node keeps for backward: built-in nodes expose `_saved_*`, custom Functions `saved_tensors`."""
    found = []
    for name in sorted(dir(node)):
        if name.startswith("_saved_"):
            try:
                value = getattr(node, name)
            except RuntimeError:  # freed after backward
                continue
            text = _tensor_text(value) if isinstance(value, torch.Tensor) else str(value)[:30]
            found.append(f"{name[7:]}: {text}")
    if not found and hasattr(node, "saved_tensors"):
        try:
            found = [f"saved[{i}]: {_tensor_text(t)}" for i, t in enumerate(node.saved_tensors)]
        except RuntimeError:
            pass
    return found


def graph_nodes(output: torch.Tensor, names: Optional[dict[str, torch.Tensor]] = None) -> tuple[list, list]:
    """Walk `output.grad_fn` through `next_functions`: nodes (id, label, kind, hover, depth) and edges
    (from, to) in the forward direction (inputs to outputs). Depth counts the longest path to the output."""
    names = names or {}

    def leaf_name(t: torch.Tensor, default: str = "leaf") -> str:
        return next((n for n, v in names.items() if v is t), default)

    nodes: dict[int, dict] = {}
    edges: list[tuple[int, int]] = []
    out_id = -1
    nodes[out_id] = {"label": leaf_name(output, "output"), "kind": "output",
                     "hover": f"the output tensor: {_tensor_text(output)}", "depth": 0}
    if output.grad_fn is None:
        return list(nodes.items()), edges
    stack = [(output.grad_fn, 1)]
    edges.append((id(output.grad_fn), out_id))
    while stack:
        fn, depth = stack.pop()
        key = id(fn)
        if key in nodes and nodes[key]["depth"] >= depth:
            continue
        kind_name = type(fn).__name__
        if kind_name == "AccumulateGrad":
            var = fn.variable
            label, kind = leaf_name(var), "leaf"
            hover = f"leaf tensor {label} (requires_grad): {_tensor_text(var)}<br>AccumulateGrad adds into .grad"
        else:
            custom = hasattr(fn, "saved_tensors") and not kind_name.endswith(tuple("0123456789"))
            label, kind = kind_name, "custom" if custom else "op"
            saved = _saved(fn)
            hover = (f"{kind_name}{' (a custom Function: its backward is yours)' if custom else ''}"
                     + ("<br>saved for backward: " + "<br>".join(saved) if saved else "<br>saves nothing"))
        nodes[key] = {"label": label, "kind": kind, "hover": hover, "depth": depth, "fn": fn}
        for child, _ in fn.next_functions:
            if child is None:
                continue
            if (id(child), key) not in edges:
                edges.append((id(child), key))
            stack.append((child, depth + 1))
    return [(k, {n: v for n, v in d.items() if n != "fn"}) for k, d in nodes.items()], edges


def graph_figure(output: torch.Tensor, names: Optional[dict[str, torch.Tensor]] = None, title: str = "",
                 height: Optional[int] = None) -> go.Figure:
    """The graph autograd recorded for `output`, leaves on the left, the output on the right.

    Hover a node for what it saved for backward. Arrows point the way the values flowed in the
    forward pass; `backward()` walks them the other way, from the output to the leaves."""
    node_list, edges = graph_nodes(output, names)
    depth_max = max(d["depth"] for _, d in node_list)
    layers: dict[int, list[int]] = {}
    for key, d in sorted(node_list, key=lambda kd: kd[1]["label"]):
        layers.setdefault(d["depth"], []).append(key)
    pos: dict[int, tuple[float, float]] = {}
    for depth in sorted(layers):  # from the output outwards: each node near the nodes it feeds
        def barycentre(key: int) -> float:
            fed = [pos[b][1] for a, b in edges if a == key and b in pos]
            return sum(fed) / len(fed) if fed else 0.0

        keys = sorted(layers[depth], key=barycentre)
        for i, key in enumerate(keys):
            pos[key] = (depth_max - depth, i - (len(keys) - 1) / 2)
    info = dict(node_list)
    fig = go.Figure()
    for a, b in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowsize=1.2, arrowwidth=1.4, arrowcolor="#888", standoff=18, startstandoff=18)
    for kind, color in NODE_COLORS.items():
        keys = [k for k in pos if info[k]["kind"] == kind]
        if not keys:
            continue
        fig.add_trace(go.Scatter(
            x=[pos[k][0] for k in keys], y=[pos[k][1] for k in keys], mode="markers+text", name=kind,
            text=[info[k]["label"] for k in keys],
            textposition=["top center" if pos[k][0] % 2 == 0 else "bottom center" for k in keys],
            textfont={"size": 11},
            hovertext=[info[k]["hover"] for k in keys], hoverinfo="text",
            marker={"size": 22, "color": color, "line": {"width": 1, "color": "white"}}))
    spread = max(len(v) for v in layers.values())
    fig.update_layout(title=title, height=height or 170 + 80 * spread, margin={"l": 20, "r": 20, "t": 40, "b": 20},
                      xaxis={"visible": False, "range": [-0.6, depth_max + 0.6]},
                      yaxis={"visible": False, "range": [-spread / 2 - 0.3, spread / 2 + 0.5]},
                      legend={"orientation": "h", "y": -0.05}, plot_bgcolor="white")
    return fig


def values_and_gradients(functions: dict[str, Callable[[torch.Tensor], torch.Tensor]], xs: torch.Tensor) -> dict:
    """Each function's value and derivative at every point of `xs` (elementwise functions), as lists."""
    results = {}
    for name, fn in functions.items():
        x = xs.detach().clone().requires_grad_()
        with torch.enable_grad():
            y = fn(x)
            y.backward(torch.ones_like(y))
        results[name] = (y.detach().tolist(), x.grad.tolist())
    return results


def _finite(values: list) -> list:
    return [v if math.isfinite(v) else None for v in values]


def stability_figure(functions: dict[str, Callable[[torch.Tensor], torch.Tensor]], xs: torch.Tensor,
                     title: str = "", height: int = 420) -> go.Figure:
    """Values (left) and derivatives (right) of several implementations of one function, in xs's dtype.

    Where a result is not finite (inf, NaN) the curve stops and a row of ✕ above the curves marks the
    inputs: that is where an implementation breaks."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("value", "derivative"), horizontal_spacing=0.08)
    data = values_and_gradients(functions, xs)
    grid = xs.tolist()
    for col in (1, 2):
        finite = [v for value_grad in data.values() for v in _finite(value_grad[col - 1]) if v is not None]
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        for i, (name, value_grad) in enumerate(data.items()):
            ys, color = value_grad[col - 1], COLORS[i % len(COLORS)]
            fig.add_trace(go.Scatter(x=grid, y=_finite(ys), mode="lines", name=name, legendgroup=name,
                                     showlegend=col == 1, line={"color": color, "width": 4 if i == 0 else 2,
                                                                 "dash": "solid" if i == 0 else "dash"}), 1, col)
            broken = [x for x, y in zip(grid, ys) if not math.isfinite(y)]
            if broken:
                level = high + (0.08 + 0.06 * i) * (high - low or 1.0)
                fig.add_trace(go.Scatter(x=broken, y=[level] * len(broken), mode="markers", legendgroup=name,
                                         name=f"{name}: inf or NaN", showlegend=col == 1,
                                         marker={"symbol": "x-thin", "size": 6, "color": color,
                                                 "line": {"width": 1.5, "color": color}},
                                         hovertext=[f"{name} at x = {x:g}: {'value' if col == 1 else 'derivative'} "
                                                    f"not finite" for x in broken], hoverinfo="text"), 1, col)
    fig.update_layout(title=title, height=height, margin={"l": 40, "r": 10, "t": 60, "b": 40},
                      legend={"orientation": "h", "y": -0.18})
    fig.update_xaxes(title_text="x")
    return fig
