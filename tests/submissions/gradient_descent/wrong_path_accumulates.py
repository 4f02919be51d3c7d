# expect: partial
# fails: path-visible path-values path-contract
# why: forgets to clear x.grad between steps: backward() accumulates the gradients of all past steps
# cause: do gradients accumulate

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        f(x).backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
