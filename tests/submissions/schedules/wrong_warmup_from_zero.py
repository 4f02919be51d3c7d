# expect: partial
# fails: warmup-schedule
# why: the warm-up starts at 0 (lr · e/W) instead of start_factor · lr
# cause: Epoch 0 is right after construction

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
        if e < W:
            return [base * e / W for base in self.base_lrs]
        cosine = (1 + math.cos(math.pi * (e - W) / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]
