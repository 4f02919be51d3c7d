# expect: partial
# fails: cube-visible cube-values cube-gradcheck cube-float32 cube-accumulate
# why: saves the output y = x³ and then uses it as if it were x: 3y² instead of 3x²

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        y = x**3
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x**2
