"""Per-student feedback: what lost points, by exercise, in words a student can act on.

Two modes, the instructor's choice (`python -m autograder grade --feedback ...`):

- `full` (default): every failed test, visible or hidden, by its title (the test cell's metadata
  `title`) with the checks' message (setting, step, parameter, yours vs torch's, the likely cause),
  grouped by exercise (the title before its ':'); passed tests as a compact list.
- `counts`: the visible tests with their messages; the hidden tests only as counts.

What never shows: a test cell's source, visible or hidden. The page is built from titles and messages
only, and a message goes through `without_traceback` first: a Python traceback's frames quote their
source lines, and a frame in a test cell would quote the hidden tests. The tests' printed output
(`TestResult.output`) is not shown either: a hidden test may print its settings in any form.
"""

import html
import re
from pathlib import Path
from typing import Iterable

from ..paths import Course
from ..results import SubmissionResult, TestResult

FEEDBACK_MODES = ("full", "counts")
DEFAULT_FEEDBACK = "full"

# A message is the student's detail, shown in full; the cap only keeps a runaway one (the student's own
# exception text can be long) from making the page heavy on a phone.
MESSAGE_LIMIT = 4000

_TRACEBACK_HEAD = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "[^"]*", line \d+')


def without_traceback(message: str) -> str:
    """`message` with the frames of any Python traceback in it removed: the exception's own lines stay.

    A frame is `File "...", line N, in f` followed by more-indented lines (the source line, the
    carets); both go. So does the 'Traceback (most recent call last):' line itself."""
    if _TRACEBACK_HEAD not in message and not any(_FRAME.match(line) for line in message.splitlines()):
        return message
    kept: list[str] = []
    frame_indent = None  # inside a frame: the indentation of its `File` line
    for line in message.splitlines():
        indent = len(line) - len(line.lstrip())
        if frame_indent is not None and line.strip() and indent > frame_indent:
            continue  # the frame's source line or carets
        frame_indent = None
        if _FRAME.match(line):
            frame_indent = indent
            continue
        if _TRACEBACK_HEAD in line:
            line = line[:line.index(_TRACEBACK_HEAD)].rstrip()
            if not line:
                continue
        kept.append(line)
    text = "\n".join(kept).strip()
    return text or "(an error whose traceback is not shown)"


def _cut(text: str) -> str:
    if len(text) <= MESSAGE_LIMIT:
        return text
    return f"{text[:MESSAGE_LIMIT]}… ({len(text) - MESSAGE_LIMIT} more characters)"


def exercise_of(title: str) -> tuple[str, str]:
    """("MyAdam", "weight decay") from "MyAdam: weight decay"; a title without ':' is its own exercise."""
    exercise, colon, rest = title.partition(":")
    if colon and exercise.strip() and rest.strip():
        return exercise.strip(), rest.strip()
    return title.strip(), ""


def _title(test: TestResult) -> str:
    return test.title or test.grade_id


def _groups(tests: Iterable[TestResult]) -> dict[str, list[TestResult]]:
    """Tests by exercise, exercises in the notebook's order."""
    groups: dict[str, list[TestResult]] = {}
    for test in tests:
        groups.setdefault(exercise_of(_title(test))[0], []).append(test)
    return groups


def _points(tests: list[TestResult]) -> str:
    return f"{sum(t.points for t in tests):g} / {sum(t.max_points for t in tests):g}"


def _failure(test: TestResult) -> str:
    esc = html.escape
    name = exercise_of(_title(test))[1] or _title(test)
    tag = " <span class='tag'>hidden</span>" if test.hidden else ""
    message = _cut(without_traceback(test.message)) if test.message else "(no message)"
    return (f"<div class='fail'><h3><span class='x'>✗</span> {esc(name)}{tag} "
            f"<span class='pts'>{test.points:g} / {test.max_points:g}</span></h3>"
            f"<pre>{esc(message)}</pre></div>")


def _group(exercise: str, tests: list[TestResult]) -> str:
    esc = html.escape
    failed = [t for t in tests if not t.passed]
    passed = [t for t in tests if t.passed]
    lost = sum(t.max_points - t.points for t in tests)
    summary = f"{len(failed)} failed, {lost:g} points lost" if failed else "all passed"
    passed_items = "".join(
        f"<li>✓ {esc(exercise_of(_title(t))[1] or _title(t))} <span class='pts'>{t.points:g}</span></li>"
        for t in passed)
    return (f"<section><h2>{esc(exercise)} <span class='pts'>{_points(tests)} points</span></h2>"
            f"<p class='sum'>{summary}</p>{''.join(_failure(t) for t in failed)}"
            f"{f'<ul class=passed>{passed_items}</ul>' if passed else ''}</section>")


def _hidden_counts(hidden: list[TestResult]) -> str:
    if not hidden:
        return ""
    return (f"<section><h2>Hidden tests</h2><p>{sum(t.passed for t in hidden)} of {len(hidden)} hidden test "
            f"groups passed ({_points(hidden)} points). They check other settings, edge cases and state "
            f"handling; the visible tests' messages show how to find the difference.</p></section>")


_STYLE = """body{font-family:system-ui,sans-serif;line-height:1.4;max-width:48em;margin:0 auto;padding:1em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin:1.2em 0 .2em}h3{font-size:1em;margin:.6em 0 .2em}
.pts{color:#555;font-weight:normal;white-space:nowrap}.sum{margin:.1em 0;color:#555}
.fail{border-left:4px solid #c33;padding:.1em .6em;margin:.5em 0;background:#fdf3f3}.x{color:#c33}
.tag{font-size:.75em;font-weight:normal;border:1px solid #999;border-radius:.3em;padding:0 .3em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2em 0;font-size:.9em}
ul.passed{list-style:none;padding:0;margin:.3em 0;color:#363}ul.passed li{display:inline-block;margin-right:1em}
.status{border:2px solid #c33;padding:.5em;background:#fee}.note{color:#555}"""


def feedback_html(result: SubmissionResult, mode: str = DEFAULT_FEEDBACK) -> str:
    """The page a student gets back (see the module's docstring for what each mode shows)."""
    if mode not in FEEDBACK_MODES:
        raise ValueError(f"feedback mode {mode!r}: one of {', '.join(FEEDBACK_MODES)}")
    esc = html.escape
    listed = result.tests if mode == "full" else [t for t in result.tests if not t.hidden]
    hidden_counts = "" if mode == "full" else _hidden_counts([t for t in result.tests if t.hidden])
    failed = [t for t in result.tests if not t.passed]
    parts = []
    if result.status != "ok":
        parts.append(f"<p class='status'><b>Grading did not go normally:</b> {esc(result.status)}. "
                     f"Tests that could not run count as failed.</p>")
    if result.manual_max:
        parts.append(f"<p class='note'>Written answers ({result.manual_max:g} points) are graded by hand: those "
                     f"points come later, and are not in the score above.</p>")
    if result.cell_errors:
        errors = "".join(f"<li><b>{esc(k)}</b>: <pre>{esc(_cut(v))}</pre></li>"
                         for k, v in result.cell_errors.items())
        parts.append(f"<section><h2>Errors in your cells</h2><ul>{errors}</ul></section>")
    if not result.tests:
        parts.append("<p>No test ran.</p>")
    elif mode == "full" and any(t.hidden for t in failed):
        parts.append("<p class='note'>Tests marked <span class='tag'>hidden</span> also ran settings your "
                     "notebook does not show; their message names the setting that failed.</p>")
    parts += [_group(exercise, tests) for exercise, tests in _groups(listed).items()]
    parts.append(hidden_counts)
    headline = (f"{len(result.tests) - len(failed)} of {len(result.tests)} tests passed."
                if result.tests else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{esc(result.assignment)}: feedback for {esc(result.student_id)}</title>
<style>{_STYLE}</style>
</head><body>
<h1>{esc(result.assignment)}: {result.score:g} / {result.max_score:g} points</h1>
<p class='note'>Student: {esc(result.student_id)}. {headline}</p>
{"".join(parts)}
</body></html>
"""


def feedback_path(course: Path, result: SubmissionResult) -> Path:
    return Course(course).feedback(result.student_id, result.assignment)


def write_feedback(course: Path, result: SubmissionResult, mode: str = DEFAULT_FEEDBACK) -> Path:
    path = feedback_path(course, result)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(feedback_html(result, mode))
    return path
