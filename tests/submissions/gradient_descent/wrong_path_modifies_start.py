# expect: partial
# fails: path-visible path-contract
# why: start.detach() shares memory with start, so the in-place steps move the caller's start too
# cause: changed start in place

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
