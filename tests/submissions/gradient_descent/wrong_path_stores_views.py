# expect: partial
# fails: path-visible path-values path-contract
# why: stores x.detach() (a view of x) instead of a copy: every row ends up as the last point
# cause: store a copy

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach()]
    for _ in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach())
    return torch.stack(path)
