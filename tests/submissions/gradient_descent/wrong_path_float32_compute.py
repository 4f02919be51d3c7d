# expect: partial
# fails: path-contract
# why: keeps start's dtype, so a float32 start is descended in float32 (cast to float64 only at the end)
# cause: the descent ran in float32

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path).to(torch.float64)
