# expect: partial
# fails: path-visible path-values path-contract
# why: off by one: records the point after each step but not the start (steps rows, not steps + 1)
# cause: One row is missing

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = []
    for _ in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path) if path else torch.empty(0, 2, dtype=torch.float64)
