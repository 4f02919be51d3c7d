# expect: full
# why: another correct style: every schedule chainable as "current lr × f(e) / f(e−1)" of its closed
#      form f (affine around eta_min for the cosine, zero denominators caught by value), the warm-up too

# %% step-impl
class MyStepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def factor(self, epoch):
        return self.gamma ** (epoch // self.step_size)

    def get_lr(self):
        e = self.last_epoch
        ratio = 1.0 if e == 0 else self.factor(e) / self.factor(e - 1)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

# %% exponential-impl
class MyExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        ratio = 1.0 if self.last_epoch == 0 else self.gamma
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

# %% cosine-impl
class MyCosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def shape(self, epoch):
        """The closed form's cosine factor: 1 at epoch 0, 0 at T_max, 1 again at 2 T_max."""
        return (1 + math.cos(math.pi * epoch / self.T_max)) / 2

    def get_lr(self):
        e = self.last_epoch
        out = []
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            if e == 0:
                out.append(group["lr"])
            elif self.shape(e - 1) == 0.0:  # at the bottom: add one epoch's rise of the closed form
                out.append(group["lr"] + (base - self.eta_min) * (self.shape(e) - self.shape(e - 1)))
            else:
                out.append(self.eta_min + (group["lr"] - self.eta_min) * self.shape(e) / self.shape(e - 1))
        return out

# %% warmup-impl
class MyWarmupCosine(LRScheduler):
    """Chainable too: the warm-up multiplies the current lr by the ratio of its factors, and the
    cosine starts from the full lr at the end of the warm-up."""

    def __init__(self, optimizer, warmup_steps, T_max, start_factor=0.1, eta_min=0.0):
        self.warmup_steps = warmup_steps
        self.T_max = T_max
        self.start_factor = start_factor
        self.eta_min = eta_min
        super().__init__(optimizer)

    def warmup(self, epoch):
        return self.start_factor + (1.0 - self.start_factor) * epoch / self.warmup_steps

    def shape(self, epoch):
        return (1 + math.cos(math.pi * (epoch - self.warmup_steps) / self.T_max)) / 2

    def get_lr(self):
        e, W = self.last_epoch, self.warmup_steps
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if e == 0:
            return [lr * self.start_factor for lr in lrs]
        if e < W:
            return [lr * self.warmup(e) / self.warmup(e - 1) for lr in lrs]
        if e == W or self.shape(e - 1) == 0.0:
            return [self.eta_min + (base - self.eta_min) * self.shape(e) for base in self.base_lrs]
        return [self.eta_min + (lr - self.eta_min) * self.shape(e) / self.shape(e - 1) for lr in lrs]
