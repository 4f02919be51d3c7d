# expect: partial
# fails: reached-visible reached-values
# why: compares the squared distance with the radius

# %% reached-impl
def reached_minima(endpoints, minima, radius):
    squared = ((endpoints[:, None, :] - minima[None, :, :]) ** 2).sum(-1)
    best, index = squared.min(dim=1)
    return torch.where(best < radius, index, torch.full_like(index, -1))
