# expect: partial
# fails: cube-visible cube-values cube-gradcheck cube-float32 cube-accumulate
# why: backward returns the derivative 3x² itself and forgets to multiply by grad_output (right only for v = ones)

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x**2
