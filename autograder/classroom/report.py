"""The class report an instructor opens after grading: `reports/<assignment>/report.html`.

One self-contained HTML page (works offline: plotly.js is embedded once, from the installed
plotly package; no CDN): a summary, the score distribution, the pass rate of every test, the most
common failure messages, the flagged submissions, the students whose grading did not go as
planned (status other than ok), and every student with a link to their feedback page.

It is for the instructor only: it shows hidden tests' names and messages, which the students'
feedback pages never do.
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterable, Optional

from ..paths import Course
from ..results import SubmissionResult, capped

TOP_MESSAGES = 12
SIMILAR_SHOWN = 30  # similarity findings shown with their code (the rest: similarity.json)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])", re.I)


def report_path(course: Path, assignment: str) -> Path:
    return Course(course).report(assignment)


NOT_WRITTEN = "not written yet (the code raises NotImplementedError)"


def normalise_message(message: str, limit: int = 160) -> str:
    """A failure message reduced to its kind: first line, numbers as #, at most `limit` characters.
    Every "not written yet" failure is one kind, whichever test met it."""
    if "NotImplementedError" in message:
        return NOT_WRITTEN
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    first = _NUMBER.sub("#", first)
    return first if len(first) <= limit else first[: limit - 1] + "…"


def summarise(results: Iterable[SubmissionResult]) -> dict:
    """Everything the page shows, as plain data (the tests look at this too)."""
    results = list(results)
    scores = [r.score for r in results]
    max_score = max((r.max_score for r in results), default=0.0)
    order: list[str] = []
    hidden: dict[str, bool] = {}
    ran: Counter = Counter()
    passed: Counter = Counter()
    failures: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # kind -> (student, test, message)
    for r in results:
        for t in r.tests:
            if t.grade_id not in hidden:
                order.append(t.grade_id)
                hidden[t.grade_id] = t.hidden
            ran[t.grade_id] += 1
            passed[t.grade_id] += bool(t.passed)
            if not t.passed:
                kind = normalise_message(t.message or "(no message)")
                failures[kind].append((r.student_id, t.grade_id, t.message))

    def rank(item: tuple[str, list]) -> tuple:
        kind, who = item
        return (-len({s for s, _, _ in who}), -len(who), min(order.index(g) for _, g, _ in who), kind)

    common = sorted(failures.items(), key=rank)[:TOP_MESSAGES]
    return {
        "count": len(results),
        "max_score": max_score,
        "scores": scores,
        "mean": statistics.fmean(scores) if scores else 0.0,
        "median": statistics.median(scores) if scores else 0.0,
        "full_marks": sum(1 for r in results if r.max_score and r.score == r.max_score),
        "zero": sum(1 for r in results if r.score == 0),
        "tests": [{"grade_id": g, "hidden": hidden[g], "passed": passed[g], "ran": ran[g],
                   "rate": passed[g] / ran[g] if ran[g] else 0.0} for g in order],
        "messages": [{"message": kind, "count": len(who), "students": sorted({s for s, _, _ in who}),
                      "tests": list(dict.fromkeys(g for _, g, _ in sorted(who, key=lambda w: order.index(w[1])))),
                      "example": who[0][2]} for kind, who in common],
        "flagged": [r for r in results if r.flags],
        "not_ok": [r for r in results if r.status != "ok"],
        "manual": sum(1 for r in results if r.needs_manual_grade),
        "seconds": sum(r.seconds for r in results),
    }


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _json(data: Any) -> str:
    """JSON safe inside a <script> element (no `</script>` or `<!--` can come out of a student's text)."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _label(text: str, limit: int = 90) -> str:
    """Chart labels: plotly reads a little HTML in them, so escape; keep them short."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(text)


def _count_ticks(most: int) -> dict:
    """Whole numbers on an axis that counts students."""
    return {"dtick": 1} if most <= 10 else {"tickformat": "d"}


def _figures(s: dict) -> dict[str, dict]:
    top = s["max_score"] or 1.0
    step = max(1.0, top / 20)
    font = {"family": "sans-serif"}
    figures = {
        "score-distribution": {
            "data": [{"type": "histogram", "x": s["scores"], "marker": {"color": "#1f77b4"},
                      "xbins": {"start": -step / 2, "end": top + step / 2, "size": step},
                      "hovertemplate": "score %{x}: %{y} student(s)<extra></extra>"}],
            "layout": {"title": {"text": f"Score distribution (out of {top:g})"}, "font": font,
                       "xaxis": {"title": {"text": "score"}, "range": [-step, top + step]},
                       "yaxis": {"title": {"text": "students"}, "rangemode": "tozero", **_count_ticks(s["count"])},
                       "bargap": 0.05,
                       "height": 360, "margin": {"t": 50}},
        },
        "pass-rate": {
            "data": [{"type": "bar", "x": [t["grade_id"] for t in s["tests"]],
                      "y": [round(100 * t["rate"], 1) for t in s["tests"]],
                      "text": [f"{t['passed']}/{t['ran']}" for t in s["tests"]], "textposition": "auto",
                      "marker": {"color": ["#ff7f0e" if t["hidden"] else "#2ca02c" for t in s["tests"]]},
                      "hovertemplate": "%{x}: %{y}% passed (%{text})<extra></extra>"}],
            "layout": {"title": {"text": "Pass rate per test (green: visible, orange: hidden)"}, "font": font,
                       "yaxis": {"title": {"text": "% of submissions"}, "range": [0, 105]},
                       "xaxis": {"tickangle": -40, "type": "category"}, "height": 420, "margin": {"t": 50, "b": 120}},
        },
        "failure-messages": {
            "data": [{"type": "bar", "orientation": "h",
                      "y": [_label(m["message"]) for m in s["messages"]][::-1],
                      "x": [len(m["students"]) for m in s["messages"]][::-1], "marker": {"color": "#d62728"},
                      "text": [_label(", ".join(m["tests"]), 60) for m in s["messages"]][::-1],
                      "hovertemplate": "%{x} student(s); tests: %{text}<extra></extra>"}],
            "layout": {"title": {"text": "Most common failure messages (students who got each)"}, "font": font,
                       "xaxis": {"title": {"text": "students"}, "rangemode": "tozero",
                                 **_count_ticks(max((len(m["students"]) for m in s["messages"]), default=1))},
                       "yaxis": {"automargin": True}, "height": 120 + 32 * max(1, len(s["messages"])),
                       "margin": {"t": 50, "l": 20}},
        },
    }
    return figures


def _feedback_link(course: Path, page: Path, r: SubmissionResult) -> str:
    target = Course(course).feedback(r.student_id, r.assignment)
    href = os.path.relpath(target, page.parent).replace(os.sep, "/")
    return f"<a href='{html.escape(href, quote=True)}'>{html.escape(r.student_id)}</a>"


def _similar_code(path: Path) -> str:
    """The similarity findings (similarity.py), each with the matching code marked, side by side."""
    from .similarity import read_findings

    findings = read_findings(path)
    if findings is None:
        return ""
    esc = html.escape
    parts = [f"<h2>Similar code</h2><p>{findings.compared} answer cell(s) compared with torch's source and with "
             f"each other. Mostly the same code is flagged for you to look at; it changes no grade.</p>"]
    if not findings.torch and not findings.pairs:
        parts.append("<p class='none'>No answer is mostly torch's code or another student's.</p>")
    shown = SIMILAR_SHOWN
    if len(findings.torch) > shown or len(findings.pairs) > shown:
        parts.append(f"<p>The {shown} most similar of each kind are shown; all {len(findings.torch)} + "
                     f"{len(findings.pairs)} are in <code>similarity.json</code> beside this page.</p>")
    for m in sorted(findings.torch, key=lambda m: -m.share)[:shown]:
        parts.append(f"<h3>{esc(m.who)}: {esc(m.name)} — {m.share:.0%} of it is in "
                     f"{esc(m.other.removeprefix('torch:'))}</h3><pre class='code'>{m.html}</pre>")
    for m in sorted(findings.pairs, key=lambda m: -min(m.share, m.other_share))[:shown]:
        parts.append(f"<h3>{esc(m.name)}: {esc(m.who)} ({m.share:.0%} shared) and {esc(m.other)} "
                     f"({m.other_share:.0%} shared)</h3><div class='pair'><pre class='code'>{m.html}</pre>"
                     f"<pre class='code'>{m.other_html}</pre></div>")
    return "\n".join(parts)


def report_html(course: Path, assignment: str, results: list[SubmissionResult], source: Optional[Path] = None) -> str:
    esc = html.escape
    page = report_path(course, assignment)
    s = summarise(results)
    figures = _figures(s)
    charts = "".join(
        f"<div class='chart' id='{name}'></div>\n" if name != "failure-messages" or s["messages"] else
        f"<div class='chart' id='{name}'><p>No test failed.</p></div>\n" for name in figures)
    scripts = "\n".join(f"Plotly.newPlot({json.dumps(name)}, {_json(fig['data'])}, {_json(fig['layout'])}, "
                        f"{{responsive: true, displaylogo: false}});"
                        for name, fig in figures.items() if name != "failure-messages" or s["messages"])

    def table(header: list[str], rows: list[list[str]], empty: str) -> str:
        if not rows:
            return f"<p class='none'>{empty}</p>"
        head = "".join(f"<th>{h}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    message_rows = [[esc(m["message"]), f"{len(m['students'])} ({m['count']} failure{'s' if m['count'] != 1 else ''})",
                     esc(", ".join(m["tests"])), f"<pre>{esc(m['example'][:1500])}</pre>",
                     esc(", ".join(m["students"][:8]) + (" …" if len(m["students"]) > 8 else ""))]
                    for m in s["messages"]]
    flagged_rows = [[_feedback_link(course, page, r), esc(capped(" ".join(r.flags))), f"{r.score:g}/{r.max_score:g}",
                     esc(capped(r.status))] for r in s["flagged"]]
    not_ok_rows = [[_feedback_link(course, page, r), esc(capped(r.status)), f"{r.score:g}/{r.max_score:g}",
                    esc(capped("; ".join(r.notes)))] for r in s["not_ok"]]
    all_rows = [[_feedback_link(course, page, r), f"{r.score:g}", f"{sum(t.passed for t in r.tests)}/{len(r.tests)}",
                 esc(capped(r.status)), esc(capped(" ".join(r.flags)))]
                for r in sorted(results, key=lambda r: r.student_id)]
    top = s["max_score"]
    source_line = f" Source notebook: <code>{esc(str(source))}</code>." if source else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(assignment)}: class report</title>
<style>body{{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em}}
td,th{{border-bottom:1px solid #ddd;padding:.3em .5em;vertical-align:top;text-align:left}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}pre{{white-space:pre-wrap;margin:0;max-width:48em}}
.summary td:first-child{{color:#555}}.chart{{margin:1em 0}}.none{{color:#555}}
.pair{{display:grid;grid-template-columns:1fr 1fr;gap:1em}}pre.code{{background:#f6f6f6;padding:.5em;overflow-x:auto;
font-size:85%}}mark{{background:#ffe08a}}</style>
<script>{_plotly_js()}</script>
</head><body>
<h1>{esc(assignment)}: class report</h1>
<p>{s['count']} submission(s) graded.{source_line} Instructor's view: hidden tests are named here,
never in the students' feedback.</p>
<table class="summary">
<tr><td>mean score</td><td>{s['mean']:.1f} / {top:g}</td></tr>
<tr><td>median score</td><td>{s['median']:g} / {top:g}</td></tr>
<tr><td>full marks</td><td>{s['full_marks']}</td></tr>
<tr><td>zero</td><td>{s['zero']}</td></tr>
<tr><td>status other than ok</td><td>{len(s['not_ok'])}</td></tr>
<tr><td>flagged</td><td>{len(s['flagged'])}</td></tr>
<tr><td>answers waiting for manual grading</td><td>{s['manual']}</td></tr>
</table>
<h2>Scores and tests</h2>
{charts}
<h2>Most common failure messages</h2>
{table(["message (numbers as #)", "students", "tests", "one of them in full", "who"], message_rows,
        "No test failed.")}
<h2>Flagged submissions</h2>
{table(["student", "flags", "score", "status"], flagged_rows, "No submission was flagged.")}
{_similar_code(page.parent / "similarity.json")}
<h2>Students with a status other than ok</h2>
{table(["student", "status", "score", "notes"], not_ok_rows, "Every submission was graded normally.")}
<h2>Every student</h2>
{table(["student", "score", "tests passed", "status", "flags"], all_rows, "No submissions.")}
<script>{scripts}</script>
</body></html>
"""


def write_report(course: Path, assignment: str, results: list[SubmissionResult],
                 source: Optional[Path] = None) -> Path:
    path = report_path(course, assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(report_html(course, assignment, results, source))
    os.replace(tmp, path)
    return path
