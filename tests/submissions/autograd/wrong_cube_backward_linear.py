# expect: partial
# fails: cube-visible cube-values cube-gradcheck cube-float32 cube-accumulate
# why: the derivative of x³ written as 3x instead of 3x²

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x
