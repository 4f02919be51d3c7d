# expect: partial
# fails: grl-identity
# why: forward returns x.view_as(x), as much published code does: the output is a view of x, so an
#      in-place change of it is refused by torch (and would change x)
# cause: shares memory with x

# %% grl-impl
class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.neg() * ctx.lambd, None
