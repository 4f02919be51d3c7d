# expect: partial
# fails: grad-visible grad-values
# why: chain rule: the inner derivative 1/2 of sin(x1/2), cos(x2/2) is missing

# %% grad-impl
def grad_sin_cos(x):
    x1, x2 = x[..., 0], x[..., 1]
    d1 = torch.cos(x1) * torch.cos(x2) + torch.cos(0.5 * x1) * torch.cos(0.5 * x2)
    d2 = -torch.sin(x1) * torch.sin(x2) - torch.sin(0.5 * x1) * torch.sin(0.5 * x2)
    return torch.stack([d1, d2], dim=-1)
