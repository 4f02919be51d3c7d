# expect: partial
# fails: path-visible path-contract
# why: preallocates the trajectory with torch.zeros (float32 by default): float32 values are returned
# cause: float32 by default

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = torch.zeros(steps + 1, 2, device=start.device)
    path[0] = x.detach()
    for k in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path[k + 1] = x.detach()
    return path
