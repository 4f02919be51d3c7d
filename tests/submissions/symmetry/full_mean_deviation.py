# expect: full
# why: another correct style: nn.init.constant_ over model.modules(), and the largest deviation from the
#      mean (a boolean tensor in the report) instead of max - min

# %% constant-mlp-impl
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    modules = []
    for i in range(len(sizes) - 1):
        modules.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            modules.append(activation())
    net = nn.Sequential(*modules)
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, weight_value)
            nn.init.constant_(m.bias, bias_value)
    return net

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    with torch.no_grad():
        return {name: (p - p.mean()).abs().max() <= atol for name, p in model.named_parameters()}
