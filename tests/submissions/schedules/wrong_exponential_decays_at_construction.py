# expect: partial
# fails: exponential-schedule schedules-chaining
# why: forgets that LRScheduler.__init__ already calls get_lr() once: the lr is multiplied by γ at
#      epoch 0, so every lr is one factor γ too small
# cause: Epoch 0 is right after construction

# %% exponential-impl
class MyExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]
