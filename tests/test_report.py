"""What the instructor sees: the class report (reports/<assignment>/report.html) and what the
student sees: the feedback page in `--feedback counts` mode (visible tests in full, hidden tests only as
counts; tests/unit/test_feedback.py tests both modes)."""

import html
import json
import re
from pathlib import Path

from autograder.classroom.feedback import feedback_html
from autograder.classroom.report import NOT_WRITTEN, normalise_message, summarise, write_report
from autograder.results import SubmissionResult
from autograder.results import TestResult as Outcome

EVIL = "</script><script>alert('x')</script><!--"
TESTS = [("adam-visible", 3, False), ("adam-settings", 4, True), ("adam-state", 4, True)]


def _result(student: str, passed: set[str], messages: dict[str, str] | None = None, **extra) -> SubmissionResult:
    messages = messages or {}
    tests = [Outcome(g, p if g in passed else 0.0, p, g in passed,
                        "" if g in passed else messages.get(g, "MyAdam raised NotImplementedError"), hidden)
             for g, p, hidden in TESTS]
    return SubmissionResult(student, "adam", score=sum(t.points for t in tests), max_score=11.0, tests=tests,
                            manual_max=4.0, **extra)


def _class() -> list[SubmissionResult]:
    off = {g: f"MyAdam, step {n}: parameter 0 differs from torch by 1.{n}e-03" for n, (g, _, _) in enumerate(TESTS)}
    return [
        _result("ann", {"adam-visible", "adam-settings", "adam-state"}, manual_answers={"why": "Because..."}),
        _result("bob", {"adam-visible"}, off),
        _result("cyd", {"adam-visible"}, {**off, "adam-state": "MyAdam, step 7: parameter 0 differs from torch by 3"}),
        _result("dee", set()),
        _result("eve", {"adam-visible", "adam-settings", "adam-state"}, flags=["uses-torch-adam"]),
        _result(EVIL, set(), {"adam-visible": EVIL}),
        SubmissionResult("fay", "adam", max_score=11.0, status="invalid notebook JSON (line 1: Expecting value)"),
        _result("gus", {"adam-visible"}, status="timeout: cell adam-impl ran over 60 s"),
    ]


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)


def test_summary_counts():
    s = summarise(_class())
    assert s["count"] == 8 and s["max_score"] == 11
    assert s["full_marks"] == 2 and s["zero"] == 3
    rates = {t["grade_id"]: (t["passed"], t["ran"]) for t in s["tests"]}
    assert rates == {"adam-visible": (5, 7), "adam-settings": (2, 7), "adam-state": (2, 7)}
    assert [t["hidden"] for t in s["tests"]] == [False, True, True]
    assert [r.student_id for r in s["flagged"]] == ["eve"]
    assert [r.student_id for r in s["not_ok"]] == ["fay", "gus"]
    assert s["manual"] == 1
    top = s["messages"][0]
    # bob's and cyd's "differs by" failures are one kind (numbers do not count), as are all "not written"
    kinds = {m["message"]: (len(m["students"]), m["count"]) for m in s["messages"]}
    assert kinds[NOT_WRITTEN] == (3, 7)  # dee (3 tests), the evil one (2), gus (2)
    assert kinds["MyAdam, step #: parameter # differs from torch by #"] == (2, 4)
    assert top["message"] in kinds and len(top["students"]) == max(n for n, _ in kinds.values())


def test_normalised_messages():
    assert normalise_message("step 3: x = 1.5e-03, y = -2\nmore") == "step #: x = #, y = #"
    assert normalise_message("lr=0.1 in float64") == "lr=# in float64"  # names keep their digits
    assert normalise_message("your code raised NotImplementedError (line 4)") == NOT_WRITTEN


def test_report_page(tmp_path: Path):
    results = _class()
    path = write_report(tmp_path, "adam", results, tmp_path / "solutions" / "adam" / "adam.ipynb")
    assert path == tmp_path / "reports" / "adam" / "report.html"
    page = path.read_text()

    # offline: plotly.js embedded once, nothing loaded from elsewhere
    scripts = _scripts(page)
    assert all(attrs.strip() == "" for attrs, _ in scripts), "no <script src=...>"
    assert sum("plotly.js v" in body[:2000] for _, body in scripts) == 1
    assert page.count("plotly.js v") == 1 or page.count("* plotly.js v") == 1
    assert not re.search(r"<(link|img|iframe)[^>]+(src|href)=['\"]?https?:", page)
    assert "cdn.plot.ly" not in page.split("</script>", 1)[1]

    # the three charts, each drawn from the data above
    calls = re.findall(r'Plotly\.newPlot\("([\w-]+)", (\[.*?\]), (\{.*?\}), \{responsive', page)
    charts = {name: (json.loads(data), json.loads(layout)) for name, data, layout in calls}
    assert set(charts) == {"score-distribution", "pass-rate", "failure-messages"}
    for name in charts:
        assert f"id='{name}'" in page
    hist = charts["score-distribution"][0][0]
    assert hist["type"] == "histogram" and sorted(hist["x"]) == sorted(r.score for r in results)
    bars = charts["pass-rate"][0][0]
    assert bars["x"] == ["adam-visible", "adam-settings", "adam-state"]
    assert bars["y"] == [round(100 * 5 / 7, 1), round(100 * 2 / 7, 1), round(100 * 2 / 7, 1)]
    assert bars["text"] == ["5/7", "2/7", "2/7"]
    fails = charts["failure-messages"][0][0]
    assert fails["orientation"] == "h" and html.escape(NOT_WRITTEN) in fails["y"]
    assert len(fails["y"]) == len(summarise(results)["messages"])

    # the tables: flagged, not ok (with their status), every student linked to their feedback
    flagged = page.split("<h2>Flagged submissions</h2>", 1)[1].split("<h2>", 1)[0]
    assert ">eve</a>" in flagged and "uses-torch-adam" in flagged and ">bob</a>" not in flagged
    not_ok = page.split("<h2>Students with a status other than ok</h2>", 1)[1].split("<h2>", 1)[0]
    assert ">fay</a>" in not_ok and "invalid notebook JSON" in not_ok
    assert ">gus</a>" in not_ok and "timeout: cell adam-impl" in not_ok and ">ann</a>" not in not_ok
    assert "href='../../feedback/ann/adam/adam.html'" in page
    assert "<td>mean score</td>" in page and "<td>full marks</td><td>2</td>" in page

    # a student's text never becomes markup or script, in the tables or in the charts' data
    assert EVIL not in page
    assert html.escape(EVIL) in page
    charts_script = [body for _, body in scripts if "Plotly.newPlot" in body]
    assert len(charts_script) == 1 and "<" not in charts_script[0]  # all of the data's "<" escaped


def test_report_of_a_class_without_failures(tmp_path: Path):
    results = [_result("ann", {"adam-visible", "adam-settings", "adam-state"})]
    page = write_report(tmp_path, "adam", results).read_text()
    assert "No test failed." in page and "No submission was flagged." in page
    assert "Every submission was graded normally." in page
    assert 'Plotly.newPlot("failure-messages"' not in page


def test_feedback_shows_visible_tests_and_only_counts_of_hidden_ones():
    secret = "MyAdam, betas=(0.5, 0.9): step 12 differs (hidden setting)"
    result = _result("bob", {"adam-visible", "adam-state"}, {"adam-settings": secret})
    result.tests[0].message = ""
    visible_fail = _result("cyd", set(), {"adam-visible": "MyAdam(params) with lr=-0.1 did not raise ValueError"})
    page = feedback_html(result, "counts")
    assert "adam-visible" in page
    assert secret not in page and "adam-settings" not in page and "betas" not in page
    assert "1 of 2 hidden test groups passed (4 / 8 points)" in page
    page = feedback_html(visible_fail, "counts")
    assert "did not raise ValueError" in page and "0 of 2 hidden test groups passed" in page
