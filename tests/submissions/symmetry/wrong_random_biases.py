# expect: partial
# fails: constant-mlp-visible constant-mlp-depths constant-mlp-activations
# why: sets the weights to the constant but leaves the biases at PyTorch's random initialization
# cause: every bias entry should be

# %% constant-mlp-impl
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(activation())
        linear = nn.Linear(n_in, n_out)
        nn.init.constant_(linear.weight, weight_value)
        layers.append(linear)
    return nn.Sequential(*layers)
