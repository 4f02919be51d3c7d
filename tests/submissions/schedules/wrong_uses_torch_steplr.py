# expect: partial
# fails: step-schedule schedules-resume schedules-chaining schedules-own-work
# flags: uses-torch-implementation uses-torch-scheduler
# why: inherits torch's StepLR instead of writing it

# %% step-impl
from torch.optim.lr_scheduler import StepLR


class MyStepLR(StepLR):
    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer, step_size, gamma)
