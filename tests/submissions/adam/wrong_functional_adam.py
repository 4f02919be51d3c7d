# expect: partial
# fails: adam-update adam-eps adam-weight-decay adam-grad adam-state adam-api adam-args adam-float32 adam-own-work
# flags: uses-torch-adam uses-torch-implementation
# why: MyAdam keeps its own state but calls torch's functional kernel torch.optim.adam.adam for the update

# %% adam-impl
from torch.optim import adam as _kernels


class MyAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError("invalid setting")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                if not self.state[p]:
                    self.state[p] = {"step": torch.tensor(0.0), "exp_avg": torch.zeros_like(p),
                                     "exp_avg_sq": torch.zeros_like(p)}
            s = [self.state[p] for p in params]
            _kernels.adam(params, [p.grad for p in params], [x["exp_avg"] for x in s], [x["exp_avg_sq"] for x in s],
                          [], [x["step"] for x in s], foreach=False, amsgrad=False, beta1=group["betas"][0],
                          beta2=group["betas"][1], lr=group["lr"], weight_decay=group["weight_decay"],
                          eps=group["eps"], maximize=False)
        return loss
