# expect: partial
# fails: many-visible many-values many-contract many-vectorised
# why: f(x).mean().backward(): every gradient divided by the number of points

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    x = starts.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        f(x).mean().backward()
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
