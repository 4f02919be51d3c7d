# expect: partial
# fails: exponential-schedule schedules-resume schedules-chaining
# why: overrides step() and writes the lrs into the groups, but get_last_lr() has nothing to return
#      (LRScheduler.step() is what keeps the last lrs)
# cause: self._last_lr

# %% exponential-impl
class MyExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def step(self, epoch=None):
        self.last_epoch += 1
        if self.last_epoch > 0:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.gamma
