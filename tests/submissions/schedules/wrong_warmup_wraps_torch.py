# expect: partial
# fails: warmup-schedule schedules-resume schedules-own-work
# flags: suspicious-code uses-torch-implementation uses-torch-scheduler
# why: an LRScheduler subclass that only forwards to torch's own schedulers, built under other names

# %% warmup-impl
import torch.optim.lr_scheduler as schedules


class MyWarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup_steps, T_max, start_factor=0.1, eta_min=0.0):
        make = getattr(schedules, "Sequential" + "LR")
        self.inner = make(optimizer, [getattr(schedules, "Linear" + "LR")(optimizer, start_factor, 1.0, warmup_steps),
                                      getattr(schedules, "CosineAnnealing" + "LR")(optimizer, T_max, eta_min)],
                          milestones=[warmup_steps])
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch > 0:
            self.inner.step()
        return [group["lr"] for group in self.optimizer.param_groups]
