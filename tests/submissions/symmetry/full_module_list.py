# expect: full
# why: another correct style: a custom nn.Module (ModuleList, functional activations applied in forward)
#      and torch.isclose against one entry with rtol=0

# %% constant-mlp-impl
class ConstantMLP(nn.Module):
    def __init__(self, sizes, activation, weight_value, bias_value):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.activations = nn.ModuleList(activation() for _ in range(len(sizes) - 2))
        with torch.no_grad():
            for linear in self.linears:
                linear.weight.fill_(weight_value)
                linear.bias.fill_(bias_value)

    def forward(self, x):
        for i, linear in enumerate(self.linears):
            x = linear(x)
            if i < len(self.activations):
                x = self.activations[i](x)
        return x


def make_constant_mlp(sizes, activation, weight_value, bias_value):
    return ConstantMLP(sizes, activation, weight_value, bias_value)

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    out = {}
    for name, p in model.named_parameters():
        first = p.detach().reshape(-1)[0]
        out[name] = torch.isclose(p.detach(), first, rtol=0.0, atol=atol).all().item()
    return out
