"""Reply shapes: what a probe's answer must look like before any check reads it."""

from autograder.grading.replies import check_reply

RUN = {"cls": "MyAdam", "groups": [{"shapes": [[2], [1, 2]]}], "steps": 2}


def good_run():
    step = [[0.1, 0.2], [[0.3, 0.4]]]
    return {"trajectory": [step, step], "grads": [], "returned": [None, None], "losses": [],
            "dtypes": ["float64", "float64"], "devices": ["cpu", "cpu"], "device": "cpu", "torch_calls": []}


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
    }
    for label, change in cases.items():
        assert check_reply("optimizer_run", RUN, {**good_run(), **change}) is not None, label
    assert check_reply("optimizer_run", RUN, []) == "not a JSON object"


def test_construct_and_class_info_replies():
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, {"raised": None, "group": {"lr": 1}}) is None
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, {"raised": None}) == "no parameter group"
    assert check_reply("optimizer_construct", {"cls": "A", "options": {}}, {"raised": 3}) == "malformed exception"
    assert check_reply("class_info", {"cls": "A"}, {"is_class": True, "mro": ["a.A"]}) is None
    assert check_reply("class_info", {"cls": "A"}, {"is_class": 1, "mro": ["a.A"]}) is not None
