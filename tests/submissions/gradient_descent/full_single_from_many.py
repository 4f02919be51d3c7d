# expect: full
# why: another correct style: copy_ under no_grad, the single run as a batch of one point, torch.autograd.grad on
#      the sum, float64 conversion with .double(), cdist + min for the minima

# %% step-impl
def gradient_descent_step(param, lr):
    with torch.no_grad():
        param.copy_(param - lr * param.grad)

# %% path-impl
def gradient_descent(f, start, lr, steps):
    return gradient_descent_many(f, start.reshape(1, 2), lr, steps)[:, 0, :]

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    x = starts.double().detach().clone()
    trajectory = [x.clone()]
    for _ in range(steps):
        leaf = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad(f(leaf).sum(), [leaf])
        leaf.grad = grad
        gradient_descent_step(leaf, lr)
        x = leaf.detach()
        trajectory.append(x.clone())
    return torch.stack(trajectory)

# %% reached-impl
def reached_minima(endpoints, minima, radius):
    best, index = torch.cdist(endpoints, minima).min(dim=1)
    return torch.where(best < radius, index, -torch.ones_like(index))
