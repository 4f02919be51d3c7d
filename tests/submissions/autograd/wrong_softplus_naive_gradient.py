# expect: partial
# fails: softplus-visible softplus-extremes softplus-float32 softplus-graph
# why: a stable forward, but the derivative written as exp(x) / (1 + exp(x)): inf/inf = NaN for large x
# cause: overflows

# %% softplus-impl
class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = torch.exp(x)
        return grad_output * e / (1 + e)
