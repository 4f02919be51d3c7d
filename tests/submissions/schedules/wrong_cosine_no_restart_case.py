# expect: partial
# fails: cosine-beyond schedules-resume
# why: the recursive form without torch's special case at the bottom of the cosine: 0/0 one epoch
#      after T_max (ZeroDivisionError)
# cause: special case

# %% cosine-impl
class MyCosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        e, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if e == 0:
            return lrs
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [eta_min + (lr - eta_min) * ratio for lr in lrs]
