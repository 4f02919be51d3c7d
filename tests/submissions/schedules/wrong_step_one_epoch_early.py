# expect: partial
# fails: step-schedule schedules-chaining
# why: off by one: decays when (last_epoch + 1) is a multiple of step_size, one epoch early
# cause: one epoch early

# %% step-impl
class MyStepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if (self.last_epoch + 1) % self.step_size == 0:
            return [lr * self.gamma for lr in lrs]
        return lrs
