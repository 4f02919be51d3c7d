"""Reply contracts: what a probe's answer must look like before any check reads it.

Every probe has one; every reply an honest probe sends (the solutions' and wrong submissions', run
here in memory) keeps it and its size budget; forged replies (empty, partial, a length the student
chose, a bool for a number, strings in numbers, nested too deep, too big) break it.
"""

import json

import pytest
from inprocess import run_tests

from autograder.authoring.variants import variants
from autograder.checks import core, import_all
from autograder.grading.replies import CONTRACTS, budget, check_reply

RUN = {"cls": "MyAdam", "groups": [{"shapes": [[2], [1, 2]]}], "steps": 2}


def good_run():
    step = [[0.1, 0.2], [[0.3, 0.4]]]
    return {"trajectory": [step, step], "grads": [], "returned": [None, None], "losses": [],
            "dtypes": ["float64", "float64"], "devices": ["cpu", "cpu"], "device": "cpu", "torch_calls": []}


def test_every_probe_has_a_contract():
    import_all()
    assert set(core.PROBES) == set(CONTRACTS)
    assert check_reply("no_such_probe", {}, {}) is not None


def test_an_honest_reply_passes():
    assert check_reply("optimizer_run", RUN, good_run()) is None


def test_every_way_of_being_short_or_misshapen_is_caught():
    cases = {
        "empty trajectory": {"trajectory": []},
        "a step too few": {"trajectory": good_run()["trajectory"][:1]},
        "a parameter missing": {"trajectory": [[[0.1, 0.2]], [[0.1, 0.2]]]},
        "wrong shape": {"trajectory": [[[0.1], [[0.3, 0.4]]]] * 2},
        "not numbers": {"trajectory": [[["a", "b"], [[0.3, 0.4]]]] * 2},
        "booleans are not numbers": {"trajectory": [[[True, False], [[0.3, 0.4]]]] * 2},
        "returns missing": {"returned": [None]},
        "losses without a closure": {"losses": [1.0, 2.0]},
        "dtypes short": {"dtypes": ["float64"]},
        "an unexpected key": {"extra": 1},
        "a huge text": {"device": "x" * 10_000},
    }
    for label, change in cases.items():
        assert check_reply("optimizer_run", RUN, {**good_run(), **change}) is not None, label
    assert check_reply("optimizer_run", RUN, []) == "not a JSON object"


def test_construct_and_class_info_replies():
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, {"raised": None, "group": {"lr": 1}}) is None
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, {"raised": None}) is not None
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, {"raised": 3}) is not None
    many = {"raised": None, "group": {f"k{i}": 0.0 for i in range(1000)}}
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, many) is not None
    assert check_reply("class_info", {"cls": "A"}, {"is_class": True, "mro": ["a.A"]}) is None
    assert check_reply("class_info", {"cls": "A"}, {"is_class": 1, "mro": ["a.A"]}) is not None
    assert check_reply("class_info", {"cls": "A"}, {"is_class": True, "mro": ["a.A"] * 10_000}) is not None


SCHEDULE = {"schedulers": [["MyStepLR", {"step_size": 2}]], "lrs": [0.1, 0.2], "epochs": 3}


def test_schedules_lengths_come_from_the_request():
    rows = [[0.1, 0.2]] * 4
    good = {"lrs": rows, "last_lrs": [[[0.1, 0.2]]] * 4, "torch_calls": []}
    assert check_reply("scheduler_run", SCHEDULE, good) is None
    assert check_reply("scheduler_run", SCHEDULE, {**good, "last_lrs": [["<a repr>"]] * 4}) is None  # not a list
    assert check_reply("scheduler_run", SCHEDULE, {**good, "last_lrs": [[[0.1]]] * 4}) is None  # wrong, not forged
    for forged in ({"lrs": [], "last_lrs": [], "torch_calls": []},  # nothing to compare
                   {**good, "lrs": rows[:1], "last_lrs": good["last_lrs"][:1]},  # epoch 0 only
                   {**good, "lrs": [[0.1]] * 4},  # a group left out
                   {**good, "lrs": [[True, 0.2]] * 4},  # a bool for a number
                   {**good, "last_lrs": [[[0.1] * 100_000]] * 4}):  # a length the student chose, unbounded
        assert check_reply("scheduler_run", SCHEDULE, forged) is not None, str(forged)[:80]


def test_a_tensor_of_the_students_shape_must_be_what_it_says():
    request = {"endpoints": [[0.0, 0.0]] * 5, "minima": [[0.0, 0.0]], "radius": 0.1}
    info = {"tensor": True, "values": [0, 1, -1, 0, 0], "dtype": "int64", "shape": [5], "device": "cpu",
            "requires_grad": False, "integer": True}
    assert check_reply("gd_reached", request, {"result": info, "inputs_changed": False}) is None
    for forged in ({**info, "values": []}, {**info, "values": [0, 1, "2", 0, 0]}, {**info, "values": None},
                   {**info, "shape": [5, 1]}, {**info, "shape": [5] * 9}):
        assert check_reply("gd_reached", request, {"result": forged, "inputs_changed": False}) is not None, forged
    far_too_big = {**info, "shape": [10**6], "values": None}  # an honest probe sends its shape alone
    assert check_reply("gd_reached", request, {"result": far_too_big, "inputs_changed": False}) is None


def test_budgets_grow_with_the_request_only():
    small = budget("optimizer_run", RUN)
    large = budget("optimizer_run", {**RUN, "steps": 200})
    assert small < large < 4 << 20
    assert budget("scheduler_run", SCHEDULE) < 1 << 20


class ContractStudent:
    """Wraps the in-memory student: every reply must keep its contract and budget."""

    def __init__(self, inner, seen):
        self.inner, self.seen = inner, seen

    def probe(self, name, **kwargs):
        reply = self.inner.probe(name, **kwargs)
        problem = check_reply(name, kwargs, reply)
        size = len(json.dumps({"ok": reply}))
        self.seen.append((name, problem, size, budget(name, kwargs)))
        return reply

    def sources(self, name):
        return self.inner.sources(name)


@pytest.mark.parametrize("assignment", ["autograd", "gradient_descent", "momentum", "adam", "symmetry", "schedules"])
def test_honest_probes_keep_their_contracts(assignment, monkeypatch):
    """The solution and every known wrong submission, run in memory: no honest reply breaks its contract."""
    seen: list = []
    original = core.use_student

    def wrapped(runner):
        original(None if runner is None else ContractStudent(runner, seen))

    monkeypatch.setattr(core, "use_student", wrapped)
    run_tests(assignment, {})
    for variant in variants(assignment):
        if variant.expect != "full":
            run_tests(assignment, variant.answers, only=variant.fails[:2] or None)
    broken = [s for s in seen if s[1] is not None or s[2] > s[3]]
    assert seen and not broken, broken[:5]
