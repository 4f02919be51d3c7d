# expect: full
# why: other correct styles: torch 2's forward without ctx + setup_context, the output saved instead of x
#      (dy/dx = 3|y|^(2/3)), λ read in setup_context, the stable formula in a helper named softplus (logaddexp,
#      softplus under another name, is switched off: tests/test_trust.py), the sigmoid written out

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(x):
        return x * x * x

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return 3.0 * y.abs().pow(2.0 / 3.0) * grad_output

# %% grl-impl
class GradReverse(Function):
    @staticmethod
    def forward(x, lambd):
        return torch.empty_like(x).copy_(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.scale = -float(inputs[1])

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.scale, None

# %% softplus-impl
def softplus(t):
    """A helper of one's own with the natural name: not torch's softplus, so not flagged."""
    return torch.maximum(t, torch.zeros_like(t)) + torch.log1p(torch.exp(-t.abs()))


class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return softplus(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        e = torch.exp(-x.abs())
        sig = torch.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return grad_output * sig
