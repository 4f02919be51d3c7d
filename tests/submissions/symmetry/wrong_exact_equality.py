# expect: partial
# fails: equal-visible equal-tolerance
# why: compares entries exactly (==), ignoring atol: noise far below atol makes equal tensors "unequal"
# cause: compare within atol, not exactly

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    return {name: bool((p == p.reshape(-1)[0]).all()) for name, p in model.named_parameters()}
