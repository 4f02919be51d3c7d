# expect: partial
# fails: step-visible step-values step-in-place path-visible path-values path-contract many-visible many-values many-contract many-vectorised
# why: gradient ascent: the step adds lr·grad (and every trajectory built on it climbs)
# cause: uphill

# %% step-impl
def gradient_descent_step(param, lr):
    with torch.no_grad():
        param += lr * param.grad
