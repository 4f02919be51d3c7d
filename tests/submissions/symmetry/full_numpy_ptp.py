# expect: full
# why: another correct style: parameters filled by shape (fill_ under no_grad), the spread measured with
#      numpy's ptp on a CPU copy, numpy bools in the report

# %% constant-mlp-impl
def make_constant_mlp(sizes, activation, weight_value, bias_value):
    layers = [nn.Linear(sizes[0], sizes[1])]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [activation(), nn.Linear(n_in, n_out)]
    model = nn.Sequential(*layers)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(weight_value if p.dim() == 2 else bias_value)
    return model

# %% equal-impl
def all_entries_equal(model, atol=1e-6):
    return {name: np.ptp(p.detach().cpu().numpy()) <= atol for name, p in model.named_parameters()}
