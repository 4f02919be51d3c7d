# expect: partial
# fails: grad-by-hand
# flags: uses-autograd
# why: the "hand" gradient is autograd's

# %% grad-impl
def grad_sin_cos(x):
    with torch.enable_grad():
        point = x.detach().clone().requires_grad_(True)
        sin_cos_2d(point).sum().backward()
    return point.grad
