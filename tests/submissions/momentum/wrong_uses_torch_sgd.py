# expect: zero
# fails: sgd-plain sgd-momentum sgd-dampening sgd-nesterov sgd-weight-decay sgd-weight-decay-nesterov sgd-state sgd-grads sgd-api sgd-args sgd-float32 sgd-own-work
# flags: uses-torch-implementation uses-torch-sgd
# why: MySGD is torch's SGD under another name

# %% sgd-impl
class MySGD(torch.optim.SGD):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov)
