# expect: partial
# fails: equal-visible equal-trained equal-tolerance equal-edge-cases
# why: compares every row with the first row (broadcasting p against p[0]): equal rows pass even when
#      the entries of a row differ (W1 after training)

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    return {name: torch.allclose(p, p[0], rtol=0, atol=atol) for name, p in model.named_parameters()}
