# expect: partial
# fails: many-visible many-values many-vectorised many-contract
# why: a placeholder that returns the starts, unchanged, at every step (no descent at all)
# cause: The point never moves

# %% many-impl
def gradient_descent_many(f, starts, lr, steps):
    return starts.detach().double().clone().expand(steps + 1, *starts.shape).clone()
