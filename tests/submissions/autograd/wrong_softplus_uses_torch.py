# expect: partial
# fails: softplus-visible softplus-extremes softplus-float32 softplus-tiny softplus-graph softplus-own-work
# flags: uses-torch-implementation uses-torch-softplus
# why: right values, by calling torch's own softplus inside forward

# %% softplus-impl
class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.nn.functional.softplus(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)
