# expect: partial
# fails: path-visible path-values path-contract
# why: off by one: range(steps + 1) takes one step too many
# cause: One row too many

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps + 1):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
