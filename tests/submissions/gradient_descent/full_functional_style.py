# expect: full
# why: another correct style: .data updates, torch.autograd.grad with a fresh leaf per step, a preallocated
#      float64 output, slice assignment for the gradient, torch.func.vmap for many points, broadcasting

# %% step-impl
def gradient_descent_step(param, lr):
    param.data.add_(param.grad, alpha=-lr)

# %% path-impl
def gradient_descent(f, start, lr, steps):
    out = torch.empty(steps + 1, 2, dtype=torch.float64, device=start.device)
    point = torch.as_tensor(start, dtype=torch.float64).detach().clone()
    out[0] = point
    for k in range(1, steps + 1):
        leaf = point.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(leaf), leaf)
        point = point - lr * g
        out[k] = point
    return out

# %% grad-impl
def grad_sin_cos(x):
    out = torch.empty_like(x)
    a, b = x[..., 0], x[..., 1]
    out[..., 0] = torch.cos(a) * torch.cos(b) + torch.cos(a / 2) * torch.cos(b / 2) / 2
    out[..., 1] = -(torch.sin(a) * torch.sin(b) + torch.sin(a / 2) * torch.sin(b / 2) / 2)
    return out

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    grad_all = torch.func.vmap(torch.func.grad(f))
    points = starts.detach().to(torch.float64).clone()
    rows = [points]
    for _ in range(steps):
        points = points - lr * grad_all(points)
        rows.append(points)
    return torch.stack(rows)

# %% reached-impl
def reached_minima(endpoints, minima, radius):
    d = ((endpoints[:, None, :] - minima[None, :, :]) ** 2).sum(-1).sqrt()
    d = torch.nan_to_num(d, nan=float("inf"))
    best, index = d.min(dim=1)
    index[~(best < radius)] = -1
    return index
