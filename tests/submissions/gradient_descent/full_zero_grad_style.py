# expect: full
# why: another correct style: sub_ with alpha, grad.zero_() after the first backward, backward(ones) for many
#      points, a loop over the (few) minima

# %% step-impl
@torch.no_grad()
def gradient_descent_step(param, lr):
    param.sub_(param.grad, alpha=lr)

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = torch.tensor(start.tolist(), dtype=torch.float64, device=start.device, requires_grad=True)
    trajectory = torch.zeros(steps + 1, 2, dtype=torch.float64, device=start.device)
    with torch.no_grad():
        trajectory[0] = x
    for k in range(steps):
        if x.grad is not None:
            x.grad.zero_()
        loss = f(x)
        loss.backward()
        gradient_descent_step(x, lr)
        with torch.no_grad():
            trajectory[k + 1] = x
    return trajectory

# %% grad-impl
def grad_sin_cos(x):
    x1 = x[..., 0]
    x2 = x[..., 1]
    h1, h2 = 0.5 * x1, 0.5 * x2
    return torch.stack((x1.cos() * x2.cos() + 0.5 * h1.cos() * h2.cos(),
                        -x1.sin() * x2.sin() - 0.5 * h1.sin() * h2.sin()), dim=x.dim() - 1)

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    x = starts.detach().clone().double().requires_grad_()
    out = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        values = f(x)
        values.backward(torch.ones_like(values))
        gradient_descent_step(x, lr)
        out.append(x.detach().clone())
    return torch.stack(out, dim=0)

# %% reached-impl
def reached_minima(endpoints, minima, radius):
    labels = torch.full((endpoints.shape[0],), -1, dtype=torch.long, device=endpoints.device)
    best = torch.full((endpoints.shape[0],), float(radius), dtype=endpoints.dtype, device=endpoints.device)
    for j in range(minima.shape[0]):
        d = torch.linalg.norm(endpoints - minima[j], dim=1)
        closer = d < best
        labels[closer] = j
        best = torch.where(closer, d, best)
    return labels
