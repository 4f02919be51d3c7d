# expect: partial
# fails: grad-visible grad-values
# why: d/dx cos x = +sin x: the sign of ∂f/∂x2 is wrong

# %% grad-impl
def grad_sin_cos(x):
    x1, x2 = x[..., 0], x[..., 1]
    d1 = torch.cos(x1) * torch.cos(x2) + 0.5 * torch.cos(0.5 * x1) * torch.cos(0.5 * x2)
    d2 = torch.sin(x1) * torch.sin(x2) + 0.5 * torch.sin(0.5 * x1) * torch.sin(0.5 * x2)
    return torch.stack([d1, d2], dim=-1)
