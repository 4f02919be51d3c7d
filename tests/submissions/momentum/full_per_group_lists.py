# expect: full
# why: another correct style: per-group lists of copied gradients, a step counter in the state, torch._foreach_add_

# %% sgd-impl
def _check_sgd_settings(lr, momentum, dampening, weight_decay, nesterov):
    """The settings torch.optim.SGD refuses."""
    for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
        if value < 0:
            raise ValueError(f"Invalid {name}: {value}")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


class MySGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        _check_sgd_settings(lr, momentum, dampening, weight_decay, nesterov)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            directions = [p.grad.clone() for p in params]
            if group["weight_decay"]:
                for d, p in zip(directions, params):
                    d.add_(p, alpha=group["weight_decay"])
            mu = group["momentum"]
            if mu:
                for i, p in enumerate(params):
                    state = self.state[p]
                    state["step"] = state.get("step", 0) + 1
                    if state["step"] == 1:
                        state["momentum_buffer"] = directions[i].clone()
                    else:
                        state["momentum_buffer"].mul_(mu).add_(directions[i] * (1 - group["dampening"]))
                    if group["nesterov"]:
                        directions[i] = directions[i] + mu * state["momentum_buffer"]
                    else:
                        directions[i] = state["momentum_buffer"].clone()
            torch._foreach_add_(params, directions, alpha=-group["lr"])
        return loss
