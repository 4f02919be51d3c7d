# expect: partial
# fails: many-visible many-vectorised
# why: calls f once per step, but backward once per point (y[i].backward in a loop)
# cause: loops over the points

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    x = starts.detach().to(torch.float64).clone().requires_grad_(True)
    path = [x.detach().clone()]
    for _ in range(steps):
        x.grad = None
        y = f(x)
        for i in range(len(y)):
            y[i].backward(retain_graph=True)
        gradient_descent_step(x, lr)
        path.append(x.detach().clone())
    return torch.stack(path)
