# expect: partial
# fails: adam-update adam-eps adam-weight-decay adam-grad adam-state adam-api adam-args adam-float32 adam-own-work
# flags: suspicious-code uses-torch-adam uses-torch-implementation
# why: MyAdam is its own Optimizer subclass but delegates step() to a torch Adam it hides (name built at run time)

# %% adam-impl
class MyAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        if lr < 0 or eps < 0 or weight_decay < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError("invalid setting")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        engine = getattr(torch.optim, "".join(["Ad", "am"]))
        self._engine = engine(self.param_groups)
        self.state = self._engine.state

    def step(self, closure=None):
        return self._engine.step(closure)
