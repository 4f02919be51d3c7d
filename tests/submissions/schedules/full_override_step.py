# expect: full
# why: another correct style: step() overridden instead of get_lr(), the lrs written into the groups
#      by hand, get_last_lr() overridden, and the epoch counted in an attribute of its own

# %% step-impl
class MyStepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma
        self.epoch = -1
        self.lrs = []
        super().__init__(optimizer)

    def step(self, epoch=None):
        self.epoch += 1
        for group in self.optimizer.param_groups:
            if self.epoch and self.epoch % self.step_size == 0:
                group["lr"] = group["lr"] * self.gamma
        self.lrs = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self.lrs)

# %% exponential-impl
class MyExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        self.epoch = -1
        self.lrs = []
        super().__init__(optimizer)

    def step(self, epoch=None):
        self.epoch += 1
        if self.epoch > 0:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.gamma
        self.lrs = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self.lrs)

# %% cosine-impl
class MyCosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min
        self.epoch = -1
        self.lrs = []
        super().__init__(optimizer)

    def step(self, epoch=None):
        self.epoch += 1
        e, T = self.epoch, self.T_max
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            if e == 0:
                continue
            if (e - 1) % (2 * T) == T:
                group["lr"] += (base - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
            else:
                shrink = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                group["lr"] = self.eta_min + (group["lr"] - self.eta_min) * shrink
        self.lrs = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self.lrs)

# %% warmup-impl
class MyWarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, T_max, start_factor=0.1, eta_min=0.0):
        self.warmup_steps = warmup_steps
        self.T_max = T_max
        self.start_factor = start_factor
        self.eta_min = eta_min
        self.epoch = -1
        self.lrs = []
        super().__init__(optimizer)

    def lr_at(self, base, e):
        if e < self.warmup_steps:
            return base * (self.start_factor + (1 - self.start_factor) * e / self.warmup_steps)
        t = (e - self.warmup_steps) / self.T_max
        return self.eta_min + 0.5 * (base - self.eta_min) * (1 + math.cos(math.pi * t))

    def step(self, epoch=None):
        self.epoch += 1
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.epoch)
        self.lrs = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self.lrs)
