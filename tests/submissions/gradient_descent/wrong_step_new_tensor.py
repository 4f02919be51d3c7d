# expect: partial
# fails: step-visible step-values step-in-place path-visible path-values path-contract many-visible many-values many-contract many-vectorised
# why: not in place: `param = param - lr * grad` makes a new tensor the caller never sees
# cause: makes a new tensor

# %% step-impl
def gradient_descent_step(param, lr):
    with torch.no_grad():
        param = param - lr * param.grad
    return param
