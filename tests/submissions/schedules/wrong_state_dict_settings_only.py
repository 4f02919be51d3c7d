# expect: partial
# fails: schedules-resume
# why: state_dict() saves the settings but not the progress (last_epoch): a resumed MyStepLR decays
#      at the wrong epochs
# cause: state_dict() must hold last_epoch

# %% step-impl
class MyStepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch > 0 and self.last_epoch % self.step_size == 0:
            return [lr * self.gamma for lr in lrs]
        return lrs

    def state_dict(self):
        return {"step_size": self.step_size, "gamma": self.gamma}
