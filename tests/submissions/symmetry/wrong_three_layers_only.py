# expect: partial
# fails: constant-mlp-depths
# why: hard-codes the 3-layer network of the formula: right for sizes of length 4, wrong for other depths

# %% constant-mlp-impl
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    d, h1, h2, k = sizes[0], sizes[1], sizes[2], sizes[-1]
    model = nn.Sequential(nn.Linear(d, h1), activation(), nn.Linear(h1, h2), activation(), nn.Linear(h2, k))
    for layer in (model[0], model[2], model[4]):
        nn.init.constant_(layer.weight, weight_value)
        nn.init.constant_(layer.bias, bias_value)
    return model
