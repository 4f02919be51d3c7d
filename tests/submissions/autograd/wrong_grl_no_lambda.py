# expect: partial
# fails: grl-visible grl-lambdas grl-identity grl-composed
# why: reverses the gradient but forgets to scale it by λ

# %% grl-impl
class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        return x.clone()

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output, None
