# expect: partial
# fails: softplus-tiny
# why: stable against overflow, but log(1 + t) instead of log1p(t) and σ as 1 − σ(−x): tiny results round to 0
# cause: torch.log1p

# %% softplus-impl
class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.clamp(x, min=0) + torch.log(1 + torch.exp(-torch.abs(x)))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (1 - torch.sigmoid(-x))
