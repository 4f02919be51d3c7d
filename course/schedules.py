"""The schedules chapter's experiments: learning-rate curves, and a small MLP trained on scikit-learn's
8×8 digits with an optimizer and a scheduler, its loss and accuracy after every epoch.

Shared by the book page (`book/schedules.md`, with torch's optimizers and schedulers) and the
assignment's ungraded experiments (inlined, with the student's classes): every function takes the
optimizer class and a function that builds the scheduler. The digits ship inside scikit-learn, so
nothing is downloaded.
"""

from typing import Any, Callable, Optional

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots
from torch import nn

from .plots import COLORS

# optimizer -> scheduler (or None for a constant learning rate)
SchedulerFactory = Optional[Callable[[torch.optim.Optimizer], Any]]


def schedule_lrs(make_scheduler: Callable[[torch.optim.Optimizer], Any], epochs: int, lr: float = 1.0) -> list[float]:
    """The learning rate at epochs 0..epochs of a scheduler on a one-parameter SGD that starts at `lr`."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = make_scheduler(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def lr_figure(curves: dict, title: str = "", height: int = 360, log: bool = False) -> go.Figure:
    """Learning rate against the epoch, one line per label; labels that start with 'torch' are dashed
    and take the colour of the curve before them (yours and torch's, on top of each other)."""
    fig = go.Figure()
    color = 0
    for label, lrs in curves.items():
        dashed = label.startswith("torch")
        if not dashed and fig.data:
            color += 1
        fig.add_trace(go.Scatter(y=lrs, mode="lines+markers" if not dashed else "lines", name=label,
                                 marker={"size": 4},
                                 line={"color": COLORS[color % len(COLORS)], "width": 2 if not dashed else 3,
                                       "dash": "dash" if dashed else "solid"}))
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      xaxis={"title": "epoch (scheduler.step() calls)"},
                      yaxis={"title": "learning rate", "type": "log" if log else "linear", "exponentformat": "power"},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def noisy_quadratic(make_scheduler: SchedulerFactory, steps: int = 300, lr: float = 0.5, h: float = 1.0,
                    sigma: float = 1.0, runs: int = 400, start: float = 5.0, seed: int = 0) -> list[float]:
    """Plain SGD on f(θ) = hθ²/2 with gradients hθ + σξ (ξ standard normal), `runs` runs at once, the
    scheduler stepped after every step: the mean loss before each step and after the last.

    With a constant lr γ the mean loss stops falling at about γσ²/(4 − 2γh), a floor proportional to γ."""
    gen = torch.Generator().manual_seed(seed)
    theta = torch.full((runs,), start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=lr)
    scheduler = make_scheduler(opt) if make_scheduler is not None else None
    losses = []
    for _ in range(steps):
        losses.append(float((h * theta.detach() ** 2 / 2).mean()))
        theta.grad = h * theta.detach() + sigma * torch.randn(runs, generator=gen, dtype=torch.float64)
        opt.step()
        if scheduler is not None:
            scheduler.step()
    losses.append(float((h * theta.detach() ** 2 / 2).mean()))
    return losses


def loss_figure(curves: dict, title: str = "", height: int = 380, floors: Optional[dict] = None) -> go.Figure:
    """Mean loss against the step (log axis), one line per label; `floors` adds dotted horizontal lines."""
    fig = go.Figure()
    for i, (label, losses) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(y=losses, mode="lines", name=label,
                                 line={"color": COLORS[i % len(COLORS)], "width": 2}))
    steps = max((len(losses) for losses in curves.values()), default=1) - 1
    for i, (label, value) in enumerate((floors or {}).items()):  # traces: add_hline's labels misplace on log axes
        fig.add_trace(go.Scatter(x=[0, steps], y=[value, value], mode="lines", name=label,
                                 line={"color": "gray", "dash": ["dot", "dashdot", "dash"][i % 3], "width": 1.5}))
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                      xaxis={"title": "step"}, yaxis={"title": "mean loss", "type": "log", "exponentformat": "power"},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def digits_data(test_size: int = 497, val_size: int = 300, seed: int = 0) -> dict:
    """scikit-learn's 8×8 digits (1797 images, pixels scaled to [0, 1]), split at random into a
    training, a validation and a test set (1000, 300 and 497 images by default).

    Choose anything (the epoch to stop at, a schedule, a learning rate) on the validation set and
    report the test set once, for what was chosen: a test accuracy picked as the best of many is
    an optimistic estimate."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32) / 16.0
    y = torch.tensor(y, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    test, val, train = order[:test_size], order[test_size:test_size + val_size], order[test_size + val_size:]
    return {"x_train": x[train], "y_train": y[train], "x_val": x[val], "y_val": y[val],
            "x_test": x[test], "y_test": y[test]}


def digits_mlp(hidden: int = 64, seed: int = 0) -> nn.Module:
    """64 pixels -> `hidden` ReLU units -> 10 classes, the same initial weights for every seed."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def train_digits(optimizer_cls: Any, make_scheduler: SchedulerFactory = None, data: Optional[dict] = None,
                 epochs: int = 20, batch_size: int = 64, seed: int = 0, step_per_batch: bool = False,
                 **options: Any) -> dict:
    """Train `digits_mlp(seed)` with minibatches (the same order for every optimizer), the scheduler
    stepped once per epoch (or after every minibatch with `step_per_batch`, as OneCycleLR wants).
    Returns, per epoch, the mean training loss, the validation and test loss and accuracy, and the
    learning rate the epoch started with.

    Runs on one CPU thread: for a model this small, threads only wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(optimizer_cls, make_scheduler, data or digits_data(), epochs, batch_size, seed,
                      step_per_batch, options)
    finally:
        torch.set_num_threads(threads)


def _train(optimizer_cls: Any, make_scheduler: SchedulerFactory, data: dict, epochs: int, batch_size: int,
           seed: int, step_per_batch: bool, options: dict) -> dict:
    model = digits_mlp(seed=seed)
    opt = optimizer_cls(model.parameters(), **options)
    scheduler = make_scheduler(opt) if make_scheduler is not None else None
    gen = torch.Generator().manual_seed(seed)
    n = len(data["y_train"])
    history: dict = {"train_loss": [], "val_loss": [], "val_acc": [], "test_loss": [], "test_acc": [], "lr": []}
    for _ in range(epochs):
        history["lr"].append(float(opt.param_groups[0]["lr"]))
        total = 0.0
        for batch in torch.randperm(n, generator=gen).split(batch_size):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(data["x_train"][batch]), data["y_train"][batch])
            loss.backward()
            opt.step()
            if scheduler is not None and step_per_batch:
                scheduler.step()
            total += float(loss.detach()) * len(batch)
        if scheduler is not None and not step_per_batch:
            scheduler.step()
        for split in ("val", "test"):
            split_loss, split_acc = _evaluate(model, data[f"x_{split}"], data[f"y_{split}"])
            history[f"{split}_loss"].append(split_loss)
            history[f"{split}_acc"].append(split_acc)
        history["train_loss"].append(total / n)
    return history


def train_digits_mean(optimizer_cls: Any, make_scheduler: SchedulerFactory = None, seeds: int = 5,
                      **kwargs: Any) -> dict:
    """`train_digits` with seeds 0..seeds-1 (initial weights and minibatch order), and per epoch the
    mean over the seeds of each curve.

    At a deliberately large learning rate one run's last epochs are chaotic: another CPU (its vector
    instructions, the order of its sums) moves one run's final loss by a factor of two, so what a
    page says of a schedule rests on the mean of several runs, not on one."""
    runs = [train_digits(optimizer_cls, make_scheduler, seed=seed, **kwargs) for seed in range(seeds)]
    return {key: [sum(run[key][epoch] for run in runs) / seeds for epoch in range(len(runs[0][key]))]
            for key in runs[0]}


def chosen_epoch(history: dict) -> int:
    """The epoch (from 1) with the best validation accuracy, the first of equals: the one to report
    the test accuracy of. Never choose on the test set itself."""
    accuracies = history["val_acc"]
    return accuracies.index(max(accuracies)) + 1


def lr_range_test(optimizer_cls: Any, data: dict, low: float = 1e-4, high: float = 10.0, steps: int = 200,
                  batch_size: int = 64, seed: int = 0, beta: float = 0.98, **options: Any) -> dict:
    """The learning-rate range test (Smith, 2017; fast.ai's lr_find): train `digits_mlp(seed)` for
    `steps` minibatches while the lr grows exponentially from `low` to `high`, recording each
    minibatch's loss and its exponential moving average (`beta`, bias-corrected). Stops early once
    the average exceeds 4 times its minimum (the loss has blown up)."""
    model = digits_mlp(seed=seed)
    opt = optimizer_cls(model.parameters(), lr=low, **options)
    factor = (high / low) ** (1 / (steps - 1))
    gen = torch.Generator().manual_seed(seed)
    n = len(data["y_train"])
    batches = [b for _ in range(steps // max(1, n // batch_size) + 1)
               for b in torch.randperm(n, generator=gen).split(batch_size)]
    out: dict = {"lr": [], "loss": [], "smoothed": []}
    average, best = 0.0, float("inf")
    for i, batch in zip(range(steps), batches):
        lr = low * factor**i
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(data["x_train"][batch]), data["y_train"][batch])
        loss.backward()
        opt.step()
        value = float(loss.detach())
        average = beta * average + (1 - beta) * value
        smoothed = average / (1 - beta ** (i + 1))
        out["lr"].append(lr)
        out["loss"].append(value)
        out["smoothed"].append(smoothed)
        best = min(best, smoothed)
        if not smoothed < 4 * best:  # also stops on nan
            break
    return out


@torch.no_grad()
def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Cross-entropy and accuracy on (x, y), without recording a graph."""
    logits = model(x)
    return float(nn.functional.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


def curves_figure(histories: dict, title: str = "", height: int = 400) -> go.Figure:
    """Training loss (log axis) and validation accuracy per epoch, side by side, one colour per schedule.

    Keys are (schedule, who) pairs; who == "torch" is drawn dashed over yours in the same colour."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training loss (log axis)", "validation accuracy"))
    schedules = list(dict.fromkeys(schedule for schedule, _ in histories))
    for (schedule, who), history in histories.items():
        color = COLORS[schedules.index(schedule) % len(COLORS)]
        dashed = who == "torch"
        line = {"color": color, "width": 3 if dashed else 2, "dash": "dash" if dashed else "solid"}
        name = f"{schedule} ({who})"
        epochs = list(range(1, len(history["train_loss"]) + 1))
        fig.add_trace(go.Scatter(x=epochs, y=history["train_loss"], mode="lines", name=name, line=line,
                                 legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scatter(x=epochs, y=history["val_acc"], mode="lines", name=name, line=line,
                                 legendgroup=name, showlegend=False), row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_xaxes(title_text="epoch")
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 10, "t": 60, "b": 40},
                      legend={"orientation": "h", "y": -0.25})
    return fig
