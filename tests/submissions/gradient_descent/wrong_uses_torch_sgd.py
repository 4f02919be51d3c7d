# expect: partial
# fails: path-visible path-values path-contract many-visible many-values many-vectorised many-contract own-work
# flags: uses-torch-implementation uses-torch-sgd
# why: the trajectories come from torch.optim.SGD instead of the student's own step

# %% path-impl
def gradient_descent(f, start, lr, steps):
    x = start.detach().to(torch.float64).clone().requires_grad_(True)
    opt = torch.optim.SGD([x], lr=lr)
    path = [x.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
        path.append(x.detach().clone())
    return torch.stack(path)

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    x = starts.detach().to(torch.float64).clone().requires_grad_(True)
    opt = torch.optim.SGD([x], lr=lr)
    path = [x.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        f(x).sum().backward()
        opt.step()
        path.append(x.detach().clone())
    return torch.stack(path)
