# expect: partial
# fails: reached-visible reached-values
# why: always returns the nearest minimum, never -1 (ignores the radius and diverged runs)
# cause: more than the radius

# %% reached-impl
def reached_minima(endpoints, minima, radius):
    return torch.cdist(endpoints, minima).argmin(dim=1)
