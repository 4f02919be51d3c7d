# expect: partial
# fails: equal-tolerance
# why: ignores atol and uses torch.allclose's default tolerances (atol=1e-8, rtol=1e-5)
# cause: compare within atol

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    return {name: torch.allclose(p, torch.full_like(p, p.reshape(-1)[0].item())) for name, p in model.named_parameters()}
