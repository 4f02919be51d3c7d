# expect: partial
# fails: path-visible path-contract
# why: stores rows into a preallocated tensor outside no_grad: the result is part of the autograd graph
# cause: part of an autograd graph

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = torch.zeros(steps + 1, 2, dtype=torch.float64, device=start.device)
    path[0] = x
    for k in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path[k + 1] = x
    return path
