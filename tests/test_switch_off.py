"""What the sandbox switches off per assignment, and the stubs it mounts over torch's files."""

import importlib
import importlib.util
import os

import pytest
import torch

from autograder.checks import declared
from autograder.checks.core import SWITCHED_OFF_MARK, TORCH_OPTIMIZERS
from autograder.paths import REPO
from autograder.sandbox import switch_off
from autograder.submission.program import check_modules
from autograder.submission.read import load_source

ASSIGNMENTS = {  # assignment -> (check modules its tests use, torch modules switched off in its sandbox)
    "autograd": (["autograd"], set()),
    # every optimizer torch ships (any is gradient descent under some setting: RMSprop, ASGD...)
    "gradient_descent": (["descent"], set(TORCH_OPTIMIZERS)),
    "momentum": (["optimizers"], set(TORCH_OPTIMIZERS)),
    "adam": (["optimizers"], set(TORCH_OPTIMIZERS)),
    "symmetry": (["symmetry"], set()),
    # the schedulers' probes drive the student's scheduler with torch's SGD: it stays
    "schedules": (["schedulers"], {"torch.optim.lr_scheduler"}),
}


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_each_assignment_switches_off_what_its_graded_code_implements(assignment):
    modules, switched = ASSIGNMENTS[assignment]
    assert check_modules(load_source(REPO / "solutions" / assignment / f"{assignment}.ipynb")) == modules
    python_modules, kernels = switch_off.split(declared(modules, "_SWITCHED_OFF"))
    assert set(python_modules) == switched
    if "torch.optim.sgd" in switched:
        assert "_fused_sgd_" in kernels
    if "torch.optim.adam" in switched:
        assert {"_fused_adam_", "_fused_adamw_", "_fused_adagrad_"} <= set(kernels)
        assert {"torch.optim.rmsprop", "torch.optim.asgd", "torch.optim._functional"} <= switched
    assert ("softplus" in kernels) == (assignment == "autograd")  # StableSoftplus's own reference


def _load_stub(tmp_path, module: str, names):
    """The stub of `module` imported under a new name in the same package (so its relative imports work)."""
    origin = importlib.util.find_spec(module).origin
    stub = tmp_path / "stub.py"
    stub.write_text(switch_off.stub_source(open(origin).read(), module, names))
    package = module.rpartition(".")[0]
    spec = importlib.util.spec_from_file_location(f"{package}._stub_{tmp_path.name}", stub)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_a_stubbed_module_keeps_what_is_not_switched_off(tmp_path):
    stub = _load_stub(tmp_path, "torch.optim.lr_scheduler", {"StepLR"})
    param = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([param], lr=0.5)
    assert stub.ExponentialLR(opt, gamma=0.5).get_last_lr() == [0.5]  # untouched: torch's own
    assert issubclass(stub.StepLR, stub.LRScheduler)  # a subclass of the stub is still a scheduler
    with pytest.raises(RuntimeError, match=SWITCHED_OFF_MARK) as raised:
        stub.StepLR(opt, step_size=2)
    assert "torch.optim.lr_scheduler.StepLR" in str(raised.value) and "write your own" in str(raised.value)


def test_a_whole_module_stub_has_none_of_torchs_code(tmp_path):
    stub = _load_stub(tmp_path, "torch.optim.adam", None)
    text = (tmp_path / "stub.py").read_text()
    assert "exp_avg_sq.mul_" not in text and "_fused_adam_(" not in text
    assert stub.__all__ == ["Adam", "adam"] and issubclass(stub.Adam, torch.optim.Optimizer)
    for call in (lambda: stub.Adam([torch.zeros(1, requires_grad=True)]), lambda: stub.adam([], [], [], [], [], []),
                 lambda: stub._single_tensor_adam(), lambda: stub._multi_tensor_adam(), lambda: stub._fused_adam()):
        with pytest.raises(RuntimeError, match=SWITCHED_OFF_MARK):
            call()


def test_stub_files_cover_torchs_file_and_its_compiled_copies(tmp_path):
    covers, kernels, files = switch_off.write_stubs(["torch.optim.nadam", "aten._fused_adam_"], tmp_path / "stubs")
    real = importlib.util.find_spec("torch.optim.nadam").origin
    assert kernels == ["_fused_adam_"] and set(files) == {"torch.optim.nadam"}
    by_host = {host: file for file, host in covers}
    assert SWITCHED_OFF_MARK in by_host[os.path.realpath(real)].read_text()
    compiled = [host for host in by_host if host.endswith(".pyc")]
    assert compiled, "torch's installation has compiled copies of nadam.py to hide"
    for host in compiled:
        assert "/__pycache__/nadam." in host and by_host[host].read_bytes() == b""


@pytest.mark.slow
def test_a_stub_that_did_not_take_stops_the_sandbox_loudly(monkeypatch, tmp_path, request):
    """Were torch's file not covered (a mount that missed it), the student's code must not run on a
    sandbox that quietly has torch's Adam: the start-up fails and says why."""
    from autograder.grading.submission import grade_submission
    from autograder.sandbox import view

    if not view.namespaces_available():
        pytest.skip("no namespaces here: the stubs come from the import hook, not from mounts")
    from autograder.sandbox import zygote

    write_stubs = switch_off.write_stubs
    monkeypatch.setattr(switch_off, "write_stubs", lambda targets, folder: ([], *write_stubs(targets, folder)[1:]))
    zygote.close_templates()  # a template made with the stubs that miss (another test's would have them)
    request.addfinalizer(zygote.close_templates)
    source = REPO / "solutions" / "adam" / "adam.ipynb"
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "adam.ipynb").write_text(source.read_text())
    result = grade_submission(source, tmp_path / "s", "s", "adam", isolation="on")
    assert result.score == 0 and "during start-up" in result.status, result.status
    assert "torch.optim." in result.output and "is torch's own file, not the stub" in result.output, result.output
