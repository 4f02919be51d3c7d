# expect: partial
# fails: adam-update adam-eps adam-weight-decay adam-grad adam-state adam-api adam-args adam-float32 adam-own-work
# flags: uses-torch-adam uses-torch-implementation
# why: MyAdam is torch's Adam under another name (a subclass)

# %% adam-impl
class MyAdam(torch.optim.Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
