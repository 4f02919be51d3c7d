"""The 2-D test functions of the course and a routine that records an optimizer's trajectory."""

from typing import Any, Callable

import torch


def f1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A bowl covered in ripples: x² + y² + 10 sin 5x + 10 cos 5y (many local minima)."""
    return x**2 + y**2 + 10 * torch.sin(5 * x) + 10 * torch.cos(5 * y)


def rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A curved, narrow valley: (1 − x)² + 100 (y − x²)², minimum at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def himmelblau(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Four minima of value 0: (x² + y − 11)² + (x + y² − 7)²."""
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def sin_cos(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The gradient-descent landscape: sin x · cos y + sin(x/2) · cos(y/2) on [0, 10]²."""
    return torch.sin(x) * torch.cos(y) + torch.sin(0.5 * x) * torch.cos(0.5 * y)


# name -> (function, x range, y range, default start)
TEST_FUNCTIONS: dict[str, tuple[Callable[..., torch.Tensor], tuple, tuple, tuple]] = {
    "f1": (f1, (-3.0, 3.0), (-3.0, 3.0), (2.5, 2.5)),
    "rosenbrock": (rosenbrock, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5)),
    "himmelblau": (himmelblau, (-5.0, 5.0), (-5.0, 5.0), (0.0, -4.5)),
}


def trajectory(optimizer_cls: Any, fn: Callable[..., torch.Tensor], start: tuple, steps: int = 200,
               **options: Any) -> torch.Tensor:
    """Minimise fn(x, y) from `start` with `optimizer_cls(**options)`: a (steps + 1, 2) tensor of points."""
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optimizer_cls([point], **options)
    path = [point.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        loss = fn(point[0], point[1])
        loss.backward()
        opt.step()
        path.append(point.detach().clone())
    out = torch.stack(path)
    if not torch.isfinite(out).all():
        bad = int((~torch.isfinite(out).all(dim=1)).nonzero()[0])
        out = out[:bad]  # a diverged run is drawn up to its last finite point
    return out


def grid(fn: Callable[..., torch.Tensor], xs: tuple, ys: tuple, n: int = 120) -> tuple:
    """fn on an n×n grid, as (x values, y values, z[y, x]) for a contour plot."""
    x = torch.linspace(xs[0], xs[1], n, dtype=torch.float64)
    y = torch.linspace(ys[0], ys[1], n, dtype=torch.float64)
    X, Y = torch.meshgrid(x, y, indexing="xy")
    return x.tolist(), y.tolist(), fn(X, Y).tolist()

