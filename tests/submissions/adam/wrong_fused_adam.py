# expect: partial
# fails: adam-update adam-eps adam-weight-decay adam-grad adam-state adam-api adam-args adam-float32 adam-own-work
# flags: suspicious-code uses-torch-adam uses-torch-implementation
# why: MyAdam keeps its own state but lets torch's fused kernel (torch._fused_adam_) do the update

# %% adam-impl
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
        kernel = getattr(torch, "_fused_" + "adam_")
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st.update(step=torch.tensor(0.0), m=torch.zeros_like(p), v=torch.zeros_like(p))
                st["step"] += 1
                kernel([p], [p.grad], [st["m"]], [st["v"]], [], [st["step"]], lr=group["lr"],
                       beta1=group["betas"][0], beta2=group["betas"][1], weight_decay=group["weight_decay"],
                       eps=group["eps"], amsgrad=False, maximize=False)
        return loss
