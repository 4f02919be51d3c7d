# expect: full
# why: another correct style: explicit branches with torch.where (both branches are evaluated, only the
#      finite one is selected), the output saved for softplus' backward (σ(x) = 1 − e^(−y) = −expm1(−y)),
#      needs_input_grad respected

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.pow(x, 3)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        grad = None
        if ctx.needs_input_grad[0]:
            grad = grad_output.mul(x.square()).mul(3)
        return grad

# %% grl-impl
class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x * 1.0

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.lambd, None

# %% softplus-impl
class StableSoftplus(Function):
    @staticmethod
    def forward(ctx, x):
        positive = x + torch.log1p(torch.exp(-x))
        negative = torch.log1p(torch.exp(x))
        y = torch.where(x > 0, positive, negative)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return -torch.expm1(-y) * grad_output
