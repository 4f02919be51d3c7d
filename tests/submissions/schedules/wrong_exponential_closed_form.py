# expect: partial
# fails: schedules-chaining
# why: closed form base_lr·γ^e: right on its own, but an lr changed from outside (by hand or by a second
#      scheduler) is overwritten at the next epoch, where torch's ExponentialLR carries it on
# cause: closed form from base_lrs

# %% exponential-impl
class MyExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]
