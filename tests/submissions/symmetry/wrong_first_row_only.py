# expect: partial
# fails: equal-visible equal-trained equal-tolerance equal-edge-cases
# why: checks only the first row (or, for a bias, only its first entry) instead of the whole tensor

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    report = {}
    for name, p in model.named_parameters():
        row = p.detach()[0].reshape(-1)
        report[name] = bool((row.max() - row.min()) <= atol)
    return report
