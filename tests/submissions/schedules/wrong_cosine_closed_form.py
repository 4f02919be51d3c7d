# expect: partial
# fails: schedules-chaining
# why: the closed form from base_lrs: right on its own (also past T_max), but an lr changed from
#      outside is forgotten at the next epoch, where torch's CosineAnnealingLR carries it on
# cause: closed form from base_lrs

# %% cosine-impl
class MyCosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]
