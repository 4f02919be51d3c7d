# expect: partial
# fails: constant-mlp-visible constant-mlp-depths constant-mlp-activations
# why: puts an activation after every linear layer, the output layer included
# cause: none at the output

# %% constant-mlp-impl
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        linear = nn.Linear(n_in, n_out)
        nn.init.constant_(linear.weight, weight_value)
        nn.init.constant_(linear.bias, bias_value)
        layers += [linear, activation()]
    return nn.Sequential(*layers)
