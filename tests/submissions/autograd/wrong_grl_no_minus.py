# expect: partial
# fails: grl-visible grl-lambdas grl-identity grl-composed
# why: scales the gradient by λ but forgets the minus: nothing is reversed

# %% grl-impl
class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        return ctx.lambd * grad_output, None
