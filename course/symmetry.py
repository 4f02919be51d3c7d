"""The symmetry chapter's experiments: a regression task, a training loop that records every parameter,
an MLP written in the page's notation, and the figures (spread of each tensor, paths of hidden units,
losses)."""

from typing import Any, Callable, Optional

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import nn

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f"]


def teacher_data(n: int = 128, d: int = 4, k: int = 3, seed: int = 0,
                 dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and the outputs of a random 'teacher' network with 16 tanh units: a target that needs
    many different hidden units, so a network whose hidden units are all alike cannot fit it."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    w1 = torch.randn(d, 16, generator=gen, dtype=torch.float64)
    w2 = torch.randn(16, k, generator=gen, dtype=torch.float64) / 4
    return x.to(dtype), (torch.tanh(x @ w1) @ w2).to(dtype)


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, optimizer_cls: Any, steps: int,
        record_every: int = 1, **options: Any) -> dict:
    """Full-batch training with the mean squared error.

    Returns {"loss": [loss before each step], "steps": [...], "params": {name: tensor (snapshots, *shape)}},
    the parameters recorded before the first step and every `record_every` steps after it."""
    opt = optimizer_cls(model.parameters(), **options)
    losses: list[float] = []
    marks = [0]
    snaps = {name: [p.detach().clone()] for name, p in model.named_parameters()}
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if step % record_every == 0 or step == steps:
            marks.append(step)
            for name, p in model.named_parameters():
                snaps[name].append(p.detach().clone())
    return {"loss": losses, "steps": marks, "params": {n: torch.stack(v) for n, v in snaps.items()}}


class MathMLP(nn.Module):
    """y = σ(…σ(x W1 + b1)… ) W_L + b_L, with W_l of shape (n_in, n_out) as on the page.

    (nn.Linear stores the transpose: its weight has shape (n_out, n_in) and computes x Wᵀ + b.)"""

    def __init__(self, weights: list[torch.Tensor], biases: list[torch.Tensor],
                 activation: Callable[[torch.Tensor], torch.Tensor] = torch.tanh) -> None:
        super().__init__()
        self.depth, self.activation = len(weights), activation
        for i, (w, b) in enumerate(zip(weights, biases), start=1):
            self.register_parameter(f"W{i}", nn.Parameter(w.clone()))
            self.register_parameter(f"b{i}", nn.Parameter(b.clone()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(1, self.depth + 1):
            x = x @ getattr(self, f"W{i}") + getattr(self, f"b{i}")
            if i < self.depth:
                x = self.activation(x)
        return x

    @classmethod
    def constant(cls, sizes: list[int], weight: float, bias: float, activation: Callable = torch.tanh,
                 dtype: torch.dtype = torch.float64) -> "MathMLP":
        pairs = list(zip(sizes[:-1], sizes[1:]))
        return cls([torch.full((i, o), weight, dtype=dtype) for i, o in pairs],
                   [torch.full((o,), bias, dtype=dtype) for _, o in pairs], activation)

    @classmethod
    def random(cls, sizes: list[int], seed: int = 0, activation: Callable = torch.tanh,
               dtype: torch.dtype = torch.float64, noise: Optional[float] = None,
               weight: float = 0.3, bias: float = 0.1) -> "MathMLP":
        """Random init scaled by 1/√n_in; with `noise`, the constant init plus noise of that size instead."""
        gen = torch.Generator().manual_seed(seed)
        pairs = list(zip(sizes[:-1], sizes[1:]))
        ws = [torch.randn(i, o, generator=gen, dtype=torch.float64) for i, o in pairs]
        bs = [torch.randn(o, generator=gen, dtype=torch.float64) for _, o in pairs]
        if noise is None:
            ws = [w / w.shape[0] ** 0.5 for w in ws]
            bs = [0.1 * b for b in bs]
        else:
            ws = [weight + noise * w for w in ws]
            bs = [bias + noise * b for b in bs]
        return cls([w.to(dtype) for w in ws], [b.to(dtype) for b in bs], activation)


def spreads(history: dict) -> dict[str, list[float]]:
    """For each recorded tensor, the distance between its largest and smallest entry at each snapshot."""
    out = {}
    for name, snaps in history["params"].items():
        flat = snaps.reshape(snaps.shape[0], -1)
        out[name] = (flat.max(dim=1).values - flat.min(dim=1).values).tolist()
    return out


def spread_figure(runs: dict[str, dict], floor: float = 1e-18, height: int = 420) -> go.Figure:
    """One panel per run: max − min of each parameter tensor over training, on a log scale.

    Exact zeros are drawn at `floor` (a log axis has no 0); rounding noise sits around 1e-16 in
    float64 and 1e-7 in float32."""
    fig = make_subplots(rows=1, cols=len(runs), subplot_titles=list(runs), shared_yaxes=True,
                        horizontal_spacing=0.04)
    for col, (label, run) in enumerate(runs.items(), start=1):
        for i, (name, values) in enumerate(spreads(run).items()):
            fig.add_trace(go.Scatter(x=run["steps"], y=[max(v, floor) for v in values], mode="lines", name=name,
                                     legendgroup=name, showlegend=col == 1,
                                     line={"color": PALETTE[i % len(PALETTE)], "width": 2}), row=1, col=col)
        fig.update_xaxes(title_text="step", row=1, col=col)
    fig.update_yaxes(type="log", exponentformat="power")  # every panel: a linear axis matched to a log one is wrong
    fig.update_yaxes(title_text="max − min of the entries", row=1, col=1)
    fig.update_layout(height=height, margin={"l": 60, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def unit_paths_figure(runs: dict[str, dict], name: str, unit_dim: int = 0, features: tuple = (0, 1),
                      height: int = 420) -> go.Figure:
    """One panel per run: each hidden unit's two incoming weights (from two input features) over training.

    `name` is the first layer's weight; its hidden units run along `unit_dim` (0 for nn.Linear, whose
    weight is (n_out, n_in); 1 for the page's W1, which is (n_in, n_out)). ○ marks the start, ✕ the end."""
    fig = make_subplots(rows=1, cols=len(runs), subplot_titles=list(runs), horizontal_spacing=0.06)
    for col, (label, run) in enumerate(runs.items(), start=1):
        w = run["params"][name]
        w = w if unit_dim == 0 else w.transpose(1, 2)  # (snapshots, units, features)
        for unit in range(w.shape[1]):
            color = PALETTE[unit % len(PALETTE)]
            xs, ys = w[:, unit, features[0]].tolist(), w[:, unit, features[1]].tolist()
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": color, "width": 2},
                                     name=f"unit {unit + 1}", legendgroup=f"u{unit}", showlegend=col == 1),
                          row=1, col=col)
            fig.add_trace(go.Scatter(x=[xs[0], xs[-1]], y=[ys[0], ys[-1]], mode="markers", showlegend=False,
                                     legendgroup=f"u{unit}", hoverinfo="skip",
                                     marker={"symbol": ["circle-open", "x"], "size": 10, "color": color}),
                          row=1, col=col)
        fig.update_xaxes(title_text=f"weight from input {features[0] + 1}", row=1, col=col)
        fig.update_yaxes(title_text=f"weight from input {features[1] + 1}", row=1, col=col)
    for name, symbol in (("start", "circle-open"), ("end", "x")):  # what the markers mean
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                                 marker={"symbol": symbol, "size": 10, "color": "#555555"}), row=1, col=1)
    fig.update_layout(height=height, margin={"l": 60, "r": 10, "t": 40, "b": 40},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def loss_figure(runs: dict[str, dict], height: int = 380) -> go.Figure:
    """The training loss of each run, on a log scale."""
    fig = go.Figure()
    for i, (label, run) in enumerate(runs.items()):
        fig.add_trace(go.Scatter(y=run["loss"], mode="lines", name=label,
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 2}))
    fig.update_layout(height=height, xaxis_title="step",
                      yaxis={"type": "log", "exponentformat": "power", "title": "training loss (MSE)"},
                      margin={"l": 60, "r": 10, "t": 30, "b": 40}, legend={"orientation": "h", "y": -0.2})
    return fig
