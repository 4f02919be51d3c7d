# expect: partial
# fails: cube-saved
# why: right values, but x is kept as ctx.x instead of with ctx.save_for_backward
# cause: ctx.save_for_backward

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 3 * ctx.x**2
