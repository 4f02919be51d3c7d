# expect: partial
# fails: equal-visible equal-trained equal-tolerance equal-edge-cases
# why: forgets the biases: reports only the weight matrices
# cause: biases included

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    report = {}
    for name, p in model.named_parameters():
        if name.endswith("weight"):
            report[name] = bool((p.max() - p.min()).item() <= atol)
    return report
