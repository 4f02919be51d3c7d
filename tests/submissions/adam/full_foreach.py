# expect: full
# why: another correct style: multi-tensor torch._foreach_* over each group, a tensor step counter and other state names (t, m, v, mu_prod)

# %% adam-impl
class MyAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        checks = {"lr": lr >= 0, "eps": eps >= 0, "weight_decay": weight_decay >= 0,
                  "betas": 0 <= betas[0] < 1 and 0 <= betas[1] < 1}
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid {', '.join(bad)}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

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
            beta1, beta2 = group["betas"]
            for p in params:
                if not self.state[p]:
                    self.state[p]["t"] = torch.tensor(0.0, dtype=torch.float64)
                    self.state[p]["m"] = torch.zeros_like(p)
                    self.state[p]["v"] = torch.zeros_like(p)
            grads = [p.grad for p in params]
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            ms = [self.state[p]["m"] for p in params]
            vs = [self.state[p]["v"] for p in params]
            steps = [self.state[p]["t"] for p in params]
            torch._foreach_add_(steps, 1)
            torch._foreach_mul_(ms, beta1)
            torch._foreach_add_(ms, grads, alpha=1 - beta1)
            torch._foreach_mul_(vs, beta2)
            torch._foreach_addcmul_(vs, grads, grads, value=1 - beta2)
            ts = [t.item() for t in steps]
            m_hats = torch._foreach_div(ms, [1 - beta1 ** t for t in ts])
            denoms = torch._foreach_sqrt(torch._foreach_div(vs, [1 - beta2 ** t for t in ts]))
            torch._foreach_add_(denoms, group["eps"])
            torch._foreach_addcdiv_(params, m_hats, denoms, value=-group["lr"])
        return loss

# %% nadam-impl
class MyNAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3):
        if min(lr, eps, weight_decay, momentum_decay) < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid NAdam setting")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay))

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
            beta1, beta2 = group["betas"]
            lr, psi = group["lr"], group["momentum_decay"]
            for p in params:
                if not self.state[p]:
                    self.state[p].update(t=torch.tensor(0.0, dtype=torch.float64), m=torch.zeros_like(p),
                                         v=torch.zeros_like(p), mu_prod=torch.tensor(1.0, dtype=torch.float64))
            grads = [p.grad for p in params]
            if group["weight_decay"] != 0:
                grads = torch._foreach_add(grads, params, alpha=group["weight_decay"])
            states = [self.state[p] for p in params]
            ms, vs = [s["m"] for s in states], [s["v"] for s in states]
            torch._foreach_add_([s["t"] for s in states], 1)
            torch._foreach_mul_(ms, beta1)
            torch._foreach_add_(ms, grads, alpha=1 - beta1)
            torch._foreach_mul_(vs, beta2)
            torch._foreach_addcmul_(vs, grads, grads, value=1 - beta2)
            ts = [s["t"].item() for s in states]
            mus = [beta1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in ts]
            mus_next = [beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi)) for t in ts]
            for s, mu in zip(states, mus):
                s["mu_prod"].mul_(mu)
            prods = [s["mu_prod"].item() for s in states]
            denoms = torch._foreach_sqrt(torch._foreach_div(vs, [1 - beta2 ** t for t in ts]))
            torch._foreach_add_(denoms, group["eps"])
            torch._foreach_addcdiv_(params, grads, denoms,
                                    [-lr * (1 - mu) / (1 - P) for mu, P in zip(mus, prods)])
            torch._foreach_addcdiv_(params, ms, denoms,
                                    [-lr * mn / (1 - P * mn) for mn, P in zip(mus_next, prods)])
        return loss
