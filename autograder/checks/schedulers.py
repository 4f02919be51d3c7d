"""Checks that compare a student's learning-rate schedulers with torch's, epoch by epoch.

The student writes subclasses of `torch.optim.lr_scheduler.LRScheduler`; each is compared with
torch's own scheduler of the same schedule (`StepLR`, `ExponentialLR`, `CosineAnnealingLR`, and
`LinearLR` followed by `CosineAnnealingLR` in a `SequentialLR` for the warm-up).

A *case* is plain data: the learning rates of the optimizer's parameter groups, the scheduler's
options, the number of epochs, and the twists that expose bugs: a learning rate changed from
outside between two epochs (what a second scheduler on the same optimizer does), several
schedulers chained on one optimizer, and a `state_dict()` round trip into a new optimizer and a
new scheduler. Every group's lr and every scheduler's `get_last_lr()` are compared right after
construction (epoch 0) and after every `scheduler.step()`. Schedulers do no tensor work, so the
probes run on the CPU whatever the device.
"""

import copy
import math
import warnings
from typing import Any, Optional

import torch
from torch.optim import lr_scheduler

from .core import (
    SWITCHED_OFF_MARK,
    CheckFailure,
    IntegrityFlag,
    ProbeError,
    clip,
    compare,
    describe,
    fired,
    format_pair,
    install_tripwires,
    probe,
    reference,
    student,
    student_limit,
    subclass_in_source,
    tripwire_counts,
    written_in_source,
)

# Every scheduler torch ships, but the base class the student must build on.
SCHEDULER_FAMILY = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
                    "ExponentialLR", "SequentialLR", "PolynomialLR", "CosineAnnealingLR", "ChainedScheduler",
                    "ReduceLROnPlateau", "CyclicLR", "CosineAnnealingWarmRestarts", "OneCycleLR"]
# Switched off inside the sandbox while grading (autograder/switch_off.py); LRScheduler, the base, stays.
SCHEDULER_SWITCHED_OFF = [f"torch.optim.lr_scheduler.{name}" for name in SCHEDULER_FAMILY]
# The methods that compute torch's schedules, counted while a student's scheduler runs.
SCHEDULER_TRIPWIRES = [f"torch.optim.lr_scheduler.{name}.{method}" for name in SCHEDULER_FAMILY
                       for method in ("get_lr", "_get_closed_form_lr", "step")
                       if method in vars(getattr(lr_scheduler, name, object))]
# Tight: a schedule is a few float operations per epoch; closed form and torch's recursive form
# agree to ~1e-14 relative over hundreds of epochs, while every bug moves an lr by a visible factor.
LR_TOLERANCE = {"rtol": 1e-9, "atol": 1e-13}


def torch_warmup_cosine(optimizer: torch.optim.Optimizer, warmup_steps: int, T_max: int,
                        start_factor: float = 0.1, eta_min: float = 0.0) -> lr_scheduler.SequentialLR:
    """Linear warm-up from start_factor·lr to lr over `warmup_steps` epochs, then `T_max` epochs of
    cosine annealing down to eta_min, built from torch's own schedulers."""
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=T_max, eta_min=eta_min)
    return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


# Reference-side code (the warm-up built of torch's schedulers), stubbed in the sandbox's copy of this module.
SCHEDULER_REFERENCE_ONLY = ["torch_warmup_cosine"]

# The student's class -> what it is compared with.
TORCH_SCHEDULERS = {
    "MyStepLR": ("StepLR", lr_scheduler.StepLR),
    "MyExponentialLR": ("ExponentialLR", lr_scheduler.ExponentialLR),
    "MyCosineAnnealingLR": ("CosineAnnealingLR", lr_scheduler.CosineAnnealingLR),
    "MyWarmupCosine": ("LinearLR then CosineAnnealingLR in a SequentialLR", torch_warmup_cosine),
}


def _data(value: Any, groups: int) -> Any:
    """A learning rate (or a list of them, as get_last_lr() gives, up to student_limit(groups)) as data;
    what is not a number travels as its repr (the reply's contract: grading/replies.py)."""
    if isinstance(value, (list, tuple)) and len(value) <= student_limit(groups):
        return [_data(v, 0) if not isinstance(v, (list, tuple)) else clip(repr(v), 80) for v in value]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.detach().reshape(()).to("cpu", torch.float64).item()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return clip(repr(value), 80)


@probe
def scheduler_run(namespace: dict, schedulers: list, lrs: list, epochs: int, resume_at: Optional[int] = None,
                  lr_changes: Optional[dict] = None, last_lr: bool = True) -> dict:
    """Attach `schedulers` ([[class name, options], ...], in order) to one SGD optimizer whose param
    groups start at `lrs`, and record every group's lr and every scheduler's get_last_lr() at
    construction and after each epoch (optimizer.step(), then each scheduler's step()).

    lr_changes {epoch: [lr per group]} sets the groups' lrs from outside just before the schedulers'
    step at that epoch. resume_at=k: after epoch k, the optimizer's and the schedulers' state_dict()s
    are deep-copied (as torch.save would), a new optimizer and new schedulers are built exactly as at
    the start, the states are loaded (optimizer first), and the run goes on with the new ones.
    """
    for cls, _ in schedulers:
        if cls not in namespace:
            raise ProbeError("NameError", f"{cls} is not defined: run the cell that defines it first")
    install_tripwires(SCHEDULER_TRIPWIRES)
    params = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in lrs]
    changes = {int(k): v for k, v in (lr_changes or {}).items()}
    wires_before = tripwire_counts()

    def build() -> tuple[torch.optim.Optimizer, list]:
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0])
        return opt, [namespace[cls](opt, **options) for cls, options in schedulers]

    record: dict = {"lrs": [], "last_lrs": []}

    def snapshot(opt: torch.optim.Optimizer, scheds: list) -> None:
        record["lrs"].append([_data(group["lr"], 0) for group in opt.param_groups[:len(lrs)]])
        if last_lr:
            record["last_lrs"].append([_data(s.get_last_lr(), len(lrs)) for s in scheds])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's advice on call order: not the student's business here
        opt, scheds = build()
        snapshot(opt, scheds)
        for epoch in range(1, epochs + 1):
            for p in params:
                p.grad = torch.ones_like(p)
            opt.step()
            for group, lr in zip(opt.param_groups, changes.get(epoch, [])):
                group["lr"] = lr
            for s in scheds:
                s.step()
            snapshot(opt, scheds)
            if epoch == resume_at:
                try:
                    saved = copy.deepcopy(opt.state_dict()), [copy.deepcopy(s.state_dict()) for s in scheds]
                except Exception as error:
                    raise ProbeError(type(error).__name__, f"{error} (while copying state_dict(), as torch.save "
                                     f"would: keep plain numbers and lists in it)")
                opt, scheds = build()
                opt.load_state_dict(saved[0])
                for s, state in zip(scheds, saved[1]):
                    s.load_state_dict(state)
    record["torch_calls"] = [p for p in fired(wires_before, tripwire_counts()) if p in SCHEDULER_TRIPWIRES]
    return record


def _reference_namespace() -> dict:
    return {cls: factory for cls, (_, factory) in TORCH_SCHEDULERS.items()}


def _call(cls: str, options: dict) -> str:
    return f"{cls}(optimizer{', ' if options else ''}{describe(options)})"


def _case_title(case: dict) -> str:
    calls = " then ".join(_call(cls, options) for cls, options in case["schedulers"])
    lrs = case["lrs"]
    groups = f"1 param group with lr={lrs[0]!r}" if len(lrs) == 1 else f"{len(lrs)} param groups with lrs {lrs}"
    extras = []
    if case.get("lr_changes"):
        extras.append("lr set from outside before the scheduler step of epoch(s) "
                      + ", ".join(str(k) for k in sorted(map(int, case["lr_changes"]))))
    if case.get("resume_at") is not None:
        extras.append(f"state_dict() loaded into a new optimizer and scheduler after epoch {case['resume_at']}")
    extra = f" [{'; '.join(extras)}]" if extras else ""
    name = f"{case['name']}: " if case.get("name") else ""
    torch_names = " then ".join(TORCH_SCHEDULERS[cls][0] for cls, _ in case["schedulers"])
    return f"{name}{calls} on {groups}, {case['epochs']} epochs{extra}, compared with torch's {torch_names}"


def _kwargs(case: dict, **change: Any) -> dict:
    kwargs = {"schedulers": case["schedulers"], "lrs": case["lrs"], "epochs": case["epochs"],
              "resume_at": case.get("resume_at"), "lr_changes": case.get("lr_changes")}
    return {**kwargs, **change}


def _torch_run(case: dict, **change: Any) -> dict:
    return reference("torch.optim.lr_scheduler", _reference_namespace(), "scheduler_run", **_kwargs(case, **change))


def _student_run(case: dict, **change: Any) -> dict:
    return student().probe("scheduler_run", **_kwargs(case, **change))


def _same_lrs(got: list, want: list) -> bool:
    return len(got) == len(want) and all(
        len(g) == len(w) and all(_close(a, b) for a, b in zip(g, w)) for g, w in zip(got, want))


def _hint(case: dict, epoch: int, group: int, got: list, want: list, theirs: str) -> str:
    """Why an lr may differ at this epoch: from what the case did there, from the pattern of the lrs,
    and from torch's runs of the same schedule with one thing left out (no outside change, no eta_min)."""
    changes = {int(k): v for k, v in (case.get("lr_changes") or {}).items()}
    hints = []
    classes = [cls for cls, _ in case["schedulers"]]
    options = case["schedulers"][0][1]
    mine = [row[group] for row in got]
    expected = [row[group] for row in want]
    if epoch == 0:
        hints.append("Epoch 0 is right after construction: LRScheduler.__init__ calls step() once, which sets "
                     "last_epoch to 0 and the lrs to the schedule's value at epoch 0 (the initial lr itself for "
                     "these schedules, start_factor·lr for the warm-up): the first get_lr() call must leave "
                     "the lr where it is.")
    if len(classes) > 1 and not changes:
        hints.append(f"Here {' and '.join(classes)} step the same optimizer, one after the other, every epoch: each "
                     f"must compute its new lr from the group's current lr (what the other left there), as torch's "
                     f"do; a closed form from base_lrs overwrites the other's change.")
    if theirs == "torch's" and any(k <= epoch for k in changes):
        unchanged = _torch_run(case, lr_changes=None)["lrs"]
        if _same_lrs(got, unchanged):
            hints.append("Your lrs are those of a run without the outside change: a closed form from base_lrs "
                         "(such as base_lr·γ^⌊e/s⌋) overwrites an lr changed from outside at the next epoch; torch "
                         "computes each new lr from the group's current lr (group['lr']), so the change carries on.")
        else:
            hints.append("The lr was changed from outside before this point: torch's schedulers compute each new lr "
                         "from the group's current lr (group['lr']), so such a change carries on; a closed form "
                         "in base_lrs forgets it.")
    if len(classes) == 1 and theirs == "torch's" and options.get("eta_min"):
        without = {k: v for k, v in options.items() if k != "eta_min"}
        if _same_lrs(got, _torch_run(case, schedulers=[[classes[0], without]])["lrs"]):
            hints.append(f"Your lrs are torch's with eta_min=0: the schedule ignores eta_min={options['eta_min']!r} "
                         f"(η_e = η_min + (η_base − η_min)·(1 + cos(πe/T))/2).")
    if all(isinstance(x, float) for x in mine) and len(mine) > 2:
        if all(_close(a, b) for a, b in zip(mine[:-1], expected[1:])):
            hints.append("Your lrs are torch's one epoch early (yours at epoch e is torch's at e + 1): an off-by-one "
                         "in the epoch (self.last_epoch is already the new epoch when get_lr() runs).")
        elif all(_close(a, b) for a, b in zip(mine[1:], expected[:-1])):
            hints.append("Your lrs are torch's one epoch late (yours at epoch e is torch's at e − 1): an off-by-one "
                         "in the epoch (self.last_epoch is already the new epoch when get_lr() runs).")
    t_max = options.get("T_max")
    if "MyCosineAnnealingLR" in classes and t_max is not None and epoch > t_max:
        stuck = isinstance(mine[epoch], float) and _close(mine[epoch], float(options.get("eta_min", 0.0)))
        hints.append(f"This is past T_max={t_max}: torch's CosineAnnealingLR is not clamped, the cosine goes on "
                     f"(back up to the initial lr at 2·T_max, down again at 3·T_max)"
                     + ("; yours stays at eta_min." if stuck else "."))
    warmup = options.get("warmup_steps")
    if "MyWarmupCosine" in classes and warmup is not None and epoch >= warmup:
        hints.append(f"This is in the cosine phase (epoch ≥ warmup_steps={warmup}), and the warm-up was right: the "
                     f"cosine counts its epochs from the end of the warm-up, cos(π(e − W)/T).")
    if case.get("resume_at") is not None and epoch > case["resume_at"]:
        hints.append(f"This is after the state_dict() round trip at epoch {case['resume_at']}: the new scheduler must "
                     f"go on where the saved one stopped, so state_dict() must hold last_epoch and everything your "
                     f"schedule reads (keep it in plain attributes of self).")
    if len(case["lrs"]) > 1 and group > 0 and _close(got[epoch][0], want[epoch][0]):
        hints.append("Group 0 is right: each group follows its own base lr (self.base_lrs[i]) and its own "
                     "group['lr'].")
    return (" " + " ".join(hints)) if hints else ""


def _close(a: Any, b: float) -> bool:
    return isinstance(a, float) and abs(a - b) <= LR_TOLERANCE["atol"] + LR_TOLERANCE["rtol"] * abs(b)


def _history(got: list, want: list, epoch: int, group: int, theirs: str) -> str:
    """The lrs of one group over the last few epochs, with enough digits for yours and theirs to differ."""
    start = max(0, epoch - 4)
    pairs = []
    for g_row, w_row in zip(got[start:epoch + 1], want[start:epoch + 1]):
        a, b = g_row[group], w_row[group]
        pairs.append(format_pair(a, b) if isinstance(a, float) else (str(a), f"{b:.6g}"))
    mine = ", ".join(p[0] for p in pairs)
    expected = ", ".join(p[1] for p in pairs)
    return f" Group {group}'s lr at epochs {start}..{epoch}: yours [{mine}], {theirs} [{expected}]."


def _compare_run(case: dict, got: dict, want: dict, theirs: str, where: Optional[str] = None) -> None:
    where = where or _case_title(case)
    for epoch, (g, w) in enumerate(zip(got["lrs"], want["lrs"])):
        try:
            compare(g, w, what="the lr of each param group", context=f"{where}: at epoch {epoch}", theirs=theirs,
                    **LR_TOLERANCE)
        except CheckFailure as failure:
            bad = [(abs(a - b) if isinstance(a, float) else math.inf, j) for j, (a, b) in enumerate(zip(g, w))
                   if not _close(a, b)]
            group = max(bad)[1] if bad else 0  # the group compare() names: the largest error
            raise CheckFailure(f"{failure}{_history(got['lrs'], want['lrs'], epoch, group, theirs)}"
                               f"{_hint(case, epoch, group, got['lrs'], want['lrs'], theirs)}")
    for epoch, (g_all, w_all) in enumerate(zip(got["last_lrs"], want["last_lrs"])):
        for (cls, _), g, w in zip(case["schedulers"], g_all, w_all):
            if not isinstance(g, list):
                raise CheckFailure(f"{where}: at epoch {epoch}, {cls}.get_last_lr() returned {g}; it should return "
                                   f"a list with one lr per param group, {w} (LRScheduler.step() keeps it in "
                                   f"self._last_lr: call super().step(), or set it yourself).")
            compare(g, w, what=f"{cls}.get_last_lr()", context=f"{where}: at epoch {epoch}", theirs=theirs,
                    **LR_TOLERANCE)


def _raised(case: dict, error: ProbeError) -> CheckFailure:
    hint = ""
    if "_last_lr" in error.message:
        hint = (" get_last_lr() returns self._last_lr, which LRScheduler.step() sets: if you override step(), call "
                "super().step(), or set self._last_lr to the list of lrs yourself.")
    if error.kind == "ZeroDivisionError" and any(cls == "MyCosineAnnealingLR" for cls, _ in case["schedulers"]):
        hint = (" The recursive cosine divides by 1 + cos(π(e − 1)/T), which is 0 at the bottom of the cosine "
                "((e − 1 − T) mod 2T = 0): there torch adds the closed form's rise over one epoch instead (its "
                "special case).")
    return CheckFailure(f"{_case_title(case)}: your code raised {error.describe()}{hint}")


def _run_case(case: dict) -> None:
    want = _torch_run(case)
    try:
        got = _student_run(case)
    except ProbeError as error:
        raise _raised(case, error)
    if case.get("resume_at") is None:
        _compare_run(case, got, want, "torch's")
        return
    # A state_dict() round trip is judged against your own run without it, so that it measures only what it is
    # about (the schedule itself has its own tests): after the round trip your lrs must go on exactly as your
    # own run would have. So that there is something to resume, your lrs must change before the round trip
    # (the cases are chosen so that torch's do).
    k = case["resume_at"]
    try:
        straight = _student_run(case, resume_at=None)
    except ProbeError as error:
        raise _raised(case, error)
    before = straight["lrs"][:k + 1]
    if all(row == before[0] for row in before):
        raise CheckFailure(f"{_case_title(case)}: up to the round trip at epoch {k} your lrs never change "
                           f"({before[0]}, where torch's go {want['lrs'][0]} → {want['lrs'][k]}): there is nothing "
                           f"to resume yet; the schedule's own tests say what is wrong.")
    _compare_run(case, got, straight, "your own run without the round trip",
                 where=f"{_case_title(case)}, compared after epoch {k} with your own run without the round trip")


def check_scheduler(cls: str, cases: list) -> None:
    """Run each case ({"lrs", "options", "epochs", optional "name", "resume_at", "lr_changes"}) with the
    student's `cls` and with torch's scheduler of the same schedule; compare every lr at every epoch. A case
    with a state_dict() round trip (resume_at=k) is compared with the student's own run without it: the
    round trip must change nothing (and the lrs must change before epoch k, so that there is a state)."""
    for case in cases:
        _run_case({**case, "schedulers": [[cls, case.get("options", {})]]})


def check_chained_schedulers(cases: list) -> None:
    """Several of the student's schedulers on one optimizer, stepped in order every epoch (as torch's
    ChainedScheduler does): each case has "schedulers": [[class name, options], ...]."""
    for case in cases:
        _run_case(case)


def check_scheduler_own_work(cls: str, options: dict, lrs: Optional[list] = None) -> None:
    """`cls` is your own work: a class statement in your answers subclassing LRScheduler, with a get_lr() (or
    step()) of its own (read from the source, never from the sandbox's word), that runs while torch's
    schedulers are switched off (behaviour: calling one is flagged). No name in the source is judged: a
    self-check against torch's scheduler costs nothing. Whether its lrs are right is for the other tests."""
    try:
        student().probe("scheduler_run", schedulers=[[cls, options]], lrs=lrs or [0.1], epochs=6, last_lr=False)
    except ProbeError as error:
        if SWITCHED_OFF_MARK in error.message:
            raise IntegrityFlag("uses-torch-scheduler", f"While checking {cls}: your schedulers are built on "
                                                        f"torch's own ({error.describe()}). Subclass LRScheduler "
                                                        f"only, and compute the learning rates yourself.")
        raise CheckFailure(f"{cls} does not run yet ({error.describe()}): nothing to check.")
    sources = student().sources(cls)
    problem = subclass_in_source(sources, cls, ["LRScheduler", "_LRScheduler"]) or written_in_source(
        sources, cls, ["get_lr", "_get_closed_form_lr", "step"])
    if problem:
        raise CheckFailure(f"{problem}: write class {cls}(LRScheduler) and compute the learning rates yourself.")
