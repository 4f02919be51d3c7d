# expect: partial
# fails: many-visible many-vectorised
# why: right values, but a Python loop over the starts (gradient_descent once per point)
# cause: a loop over the points

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    return torch.stack([gradient_descent(f, s, lr, steps) for s in starts], dim=1)
