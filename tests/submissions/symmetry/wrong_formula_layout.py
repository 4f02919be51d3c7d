# expect: partial
# fails: constant-mlp-visible constant-mlp-depths constant-mlp-activations
# why: gives each weight the formula's (n_in, n_out) shape instead of nn.Linear's (n_out, n_in)

# %% constant-mlp-impl
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(activation())
        linear = nn.Linear(n_in, n_out)
        linear.weight = nn.Parameter(torch.full((n_in, n_out), float(weight_value)))
        linear.bias = nn.Parameter(torch.full((n_out,), float(bias_value)))
        layers.append(linear)
    return nn.Sequential(*layers)
