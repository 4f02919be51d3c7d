# expect: full
# why: another correct style: out-of-place formulas, closure outside no_grad, buffer under another key, p.copy_

# %% sgd-impl
class MySGD(Optimizer):
    """SGD with momentum, written with explicit formulas: every tensor is new, only p is updated."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if not 0.0 <= lr:
            raise ValueError("lr must be >= 0")
        if not 0.0 <= momentum:
            raise ValueError("momentum must be >= 0")
        if not 0.0 <= weight_decay:
            raise ValueError("weight_decay must be >= 0")
        if nesterov and not (momentum > 0 and dampening == 0):
            raise ValueError("nesterov needs momentum > 0 and dampening == 0")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        with torch.no_grad():
            for group in self.param_groups:
                mu = group["momentum"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    d_p = p.grad + group["weight_decay"] * p
                    if mu > 0:
                        st = self.state[p]
                        if len(st) == 0:
                            st["buf"] = d_p.detach().clone()
                        else:
                            st["buf"] = mu * st["buf"] + (1 - group["dampening"]) * d_p
                        d_p = d_p + mu * st["buf"] if group["nesterov"] else st["buf"]
                    p.copy_(p - group["lr"] * d_p)
        return loss
