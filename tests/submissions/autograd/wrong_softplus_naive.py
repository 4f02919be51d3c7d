# expect: partial
# fails: softplus-visible softplus-extremes softplus-float32 softplus-tiny softplus-graph
# why: the naive formula log(1 + exp(x)): inf from x ≈ 709.8 in float64 (88.7 in float32), 0 instead of eˣ for x ≪ 0
# cause: overflows

# %% softplus-impl
class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.log(1 + torch.exp(x))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)
