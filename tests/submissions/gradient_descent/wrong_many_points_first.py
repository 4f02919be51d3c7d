# expect: partial
# fails: many-visible many-values many-contract many-vectorised
# why: returns (n, steps + 1, 2), one trajectory per row, instead of (steps + 1, n, 2)
# cause: result[k] holds every point after step k

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    x = starts.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        f(x).sum().backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path, dim=1)
