# expect: partial
# fails: step-visible step-in-place
# why: the step clears param.grad, which is the caller's job (torch's step leaves .grad alone)
# cause: must be left unchanged

# %% step-impl
def gradient_descent_step(param, lr):
    with torch.no_grad():
        param -= lr * param.grad
    param.grad.zero_()
