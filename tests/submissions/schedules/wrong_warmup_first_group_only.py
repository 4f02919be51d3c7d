# expect: partial
# fails: warmup-schedule
# why: takes the base lr of group 0 for every param group
# cause: Group 0 is right

# %% warmup-impl
class MyWarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, T_max, start_factor=0.1, eta_min=0.0):
        self.warmup_steps = warmup_steps
        self.T_max = T_max
        self.start_factor = start_factor
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        e, W = self.last_epoch, self.warmup_steps
        base = self.base_lrs[0]
        if e < W:
            lr = base * (self.start_factor + (1 - self.start_factor) * e / W)
        else:
            lr = self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * (e - W) / self.T_max)) / 2
        return [lr for _ in self.optimizer.param_groups]
