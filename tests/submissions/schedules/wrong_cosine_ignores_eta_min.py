# expect: partial
# fails: cosine-schedule cosine-beyond schedules-chaining
# why: anneals towards 0 whatever eta_min is
# cause: ignores eta_min

# %% cosine-impl
class MyCosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        e, T = self.last_epoch, self.T_max
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if e == 0:
            return lrs
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + base * (1 - math.cos(math.pi / T)) / 2 for lr, base in zip(lrs, self.base_lrs)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [lr * ratio for lr in lrs]
