"""Per-student feedback: visible tests with their messages, hidden tests only as counts."""

import html
from pathlib import Path

from ..paths import Course
from ..results import SubmissionResult


def feedback_html(result: SubmissionResult) -> str:
    """The page a student gets back. Hidden tests show no source and no message: only how many passed."""
    esc = html.escape
    visible = [t for t in result.tests if not t.hidden]
    hidden = [t for t in result.tests if t.hidden]
    rows = "".join(
        f"<tr><td>{esc(t.grade_id)}</td><td>{'passed' if t.passed else 'failed'}</td>"
        f"<td>{t.points:g}/{t.max_points:g}</td><td><pre>{esc(t.message)}</pre></td></tr>" for t in visible)
    hidden_passed = sum(t.passed for t in hidden)
    hidden_points = sum(t.points for t in hidden)
    hidden_max = sum(t.max_points for t in hidden)
    errors = "".join(f"<li><b>{esc(k)}</b>: <code>{esc(v)}</code></li>" for k, v in result.cell_errors.items())
    status = "" if result.status == "ok" else f"<p class='status'>Status: {esc(result.status)}</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(result.assignment)}: feedback for {esc(result.student_id)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border-bottom:1px solid #ddd;
padding:.3em;vertical-align:top;text-align:left}}pre{{white-space:pre-wrap;margin:0}}.status{{color:#a00}}</style>
</head><body>
<h1>{esc(result.assignment)}: {result.score:g} / {result.max_score:g}</h1>
<p>Student: {esc(result.student_id)}. Questions graded by hand ({result.manual_max:g} points) come later.</p>
{status}
{f"<h2>Errors in your cells</h2><ul>{errors}</ul>" if errors else ""}
<h2>Visible tests</h2>
<table><tr><th>test</th><th>result</th><th>points</th><th>message</th></tr>{rows}</table>
<h2>Hidden tests</h2>
<p>{hidden_passed} of {len(hidden)} hidden test groups passed ({hidden_points:g} / {hidden_max:g} points).
They check other settings, edge cases and state handling; the visible tests' messages show how to
find the difference.</p>
</body></html>
"""


def feedback_path(course: Path, result: SubmissionResult) -> Path:
    return Course(course).feedback(result.student_id, result.assignment)


def write_feedback(course: Path, result: SubmissionResult) -> Path:
    path = feedback_path(course, result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(feedback_html(result))
    return path
