# expect: partial
# fails: schedules-chaining
# why: closed form base_lr·γ^⌊e/s⌋: right on its own, but an lr changed from outside (by hand or by a
#      second scheduler) is overwritten, where torch's StepLR carries it on
# cause: closed form from base_lrs

# %% step-impl
class MyStepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]
