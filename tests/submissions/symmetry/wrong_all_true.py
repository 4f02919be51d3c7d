# expect: partial
# fails: equal-visible equal-trained equal-tolerance equal-edge-cases
# why: a report that says every tensor is symmetric (what a constant init starts with), without measuring

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    return {name: True for name, _ in model.named_parameters()}
