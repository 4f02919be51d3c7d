# expect: partial
# fails: grad-visible grad-values
# why: torch.stack([d1, d2]) stacks along dim 0: right for one point, (2, n) instead of (n, 2) for many
# cause: along the last dimension

# %% grad-impl
def grad_sin_cos(x):
    x1, x2 = x[..., 0], x[..., 1]
    d1 = torch.cos(x1) * torch.cos(x2) + 0.5 * torch.cos(0.5 * x1) * torch.cos(0.5 * x2)
    d2 = -torch.sin(x1) * torch.sin(x2) - 0.5 * torch.sin(0.5 * x1) * torch.sin(0.5 * x2)
    return torch.stack([d1, d2])
