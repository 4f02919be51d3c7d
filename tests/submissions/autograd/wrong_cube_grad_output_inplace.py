# expect: partial
# fails: cube-visible cube-values cube-float32 cube-accumulate
# why: backward multiplies grad_output in place and returns it: the caller's gradient tensor changes
#      (and y.sum().backward() hands over an expanded tensor that cannot be written to)
# cause: changed grad_output in place

# %% cube-impl
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output.mul_(3 * x**2)
