# expect: partial
# fails: equal-edge-cases
# why: uses the standard deviation: a one-element tensor has std NaN, so it is reported as not all-equal
# cause: a tensor with one entry

# %% equal-impl
import warnings


def all_entries_equal(model, atol=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: bool(p.detach().std() <= atol) for name, p in model.named_parameters()}
