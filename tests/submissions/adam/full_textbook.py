# expect: full
# why: another correct style: the textbook formulas, out of place (m̂, v̂ as new tensors, θ ← θ − γ m̂/(√v̂ + ε) copied back)

# %% adam-impl
class MyAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0.0 or eps < 0.0 or weight_decay < 0.0:
            raise ValueError("lr, eps and weight_decay must be non-negative")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError("betas must be in [0, 1)")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                b1, b2 = group["betas"]
                for theta in group["params"]:
                    if theta.grad is None:
                        continue
                    g = theta.grad + group["weight_decay"] * theta
                    st = self.state[theta]
                    if len(st) == 0:
                        st["t"], st["m"], st["v"] = 0, torch.zeros_like(theta), torch.zeros_like(theta)
                    st["t"] = t = st["t"] + 1
                    st["m"] = b1 * st["m"] + (1 - b1) * g
                    st["v"] = b2 * st["v"] + (1 - b2) * g * g
                    m_hat = st["m"] / (1 - b1 ** t)
                    v_hat = st["v"] / (1 - b2 ** t)
                    theta.copy_(theta - group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"]))
        return loss

# %% nadam-impl
class MyNAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay),
                            ("momentum_decay", momentum_decay)):
            if value < 0.0:
                raise ValueError(f"{name} must be non-negative, got {value}")
        if not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                b1, b2 = group["betas"]
                gamma, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
                for theta in group["params"]:
                    if theta.grad is None:
                        continue
                    g = theta.grad + group["weight_decay"] * theta
                    st = self.state[theta]
                    if len(st) == 0:
                        st["t"], st["P"] = 0, 1.0
                        st["m"], st["v"] = torch.zeros_like(theta), torch.zeros_like(theta)
                    st["t"] = t = st["t"] + 1
                    mu_t = b1 * (1 - 0.5 * 0.96 ** (t * psi))
                    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
                    st["P"] = P = st["P"] * mu_t
                    st["m"] = b1 * st["m"] + (1 - b1) * g
                    st["v"] = b2 * st["v"] + (1 - b2) * g * g
                    d = torch.sqrt(st["v"] / (1 - b2 ** t)) + eps
                    update = gamma * (1 - mu_t) / (1 - P) * g / d + gamma * mu_next / (1 - P * mu_next) * st["m"] / d
                    theta.copy_(theta - update)
        return loss
