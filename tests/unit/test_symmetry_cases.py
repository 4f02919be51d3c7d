"""A symmetry report case is the same on every CPU: the rounding noise of training (1e-17 on one machine,
exactly 0 on another) never reaches the parameters the student's function is called on."""

import torch

from autograder.checks import symmetry

CASE = {"model": {"sizes": [4, 5, 5, 3], "activation": "tanh", "weight": 0.25, "bias": 0.1},
        "train": {"optimizer": "SGD", "options": {"lr": 0.1}, "steps": 40, "seed": 9}, "atol": 1e-8}


def _case_on_another_cpu(monkeypatch, case: dict, ulps: float) -> dict:
    train = symmetry._sym_train

    def train_with_other_rounding(net, *args, **kwargs):
        train(net, *args, **kwargs)
        gen = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for p in net.parameters():  # another machine's last bits, entry by entry
                p.mul_(1 + ulps * torch.finfo(p.dtype).eps * (2 * torch.rand(p.shape, generator=gen) - 1).to(p.dtype))

    monkeypatch.setattr(symmetry, "_sym_train", train_with_other_rounding)
    return symmetry._sym_case(case)


def test_trained_parameters_do_not_carry_the_machines_rounding(monkeypatch):
    here = symmetry._sym_case(CASE)
    assert here["spreads"]["2.bias"] == 0.0 and here["spreads"]["0.weight"] > 1e-3
    elsewhere = _case_on_another_cpu(monkeypatch, CASE, ulps=8)
    assert elsewhere["params"] == here["params"] and elsewhere["spreads"] == here["spreads"]


def test_explicit_noise_is_kept(monkeypatch):
    noisy = dict(CASE, jitter=1e-10)
    spreads = symmetry._sym_case(noisy)["spreads"]
    assert 0 < spreads["2.bias"] <= 2e-10
    assert _case_on_another_cpu(monkeypatch, noisy, ulps=8)["params"] == symmetry._sym_case(noisy)["params"]


def test_float32_cases_too(monkeypatch):
    case = dict(CASE, dtype="float32", atol=1e-3)
    assert _case_on_another_cpu(monkeypatch, case, ulps=4)["params"] == symmetry._sym_case(case)["params"]
