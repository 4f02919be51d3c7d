# expect: partial
# fails: step-visible step-values step-in-place path-visible path-values path-contract many-visible many-values many-contract many-vectorised
# why: the learning rate applied twice (scaled gradient and alpha together)
# cause: lr applied twice

# %% step-impl
def gradient_descent_step(param, lr):
    with torch.no_grad():
        param.sub_(lr * param.grad, alpha=lr)
