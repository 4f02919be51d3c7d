"""Set-up shared by every page of the static book: light, lazily drawn figures, and the numbers the prose quotes.

Every chapter page calls `setup_page()` in a hidden first cell. Then:

* `fig.show()` writes a figure as `text/html` (the one mime type the book's HTML keeps: myst-nb
  drops plotly's own JSON mime type): a `<figure>` with the title as HTML text (it wraps on a
  phone and plotly's toolbar cannot cover it), an empty `<div class="plotly-graph-div">` and the
  figure's JSON in a `<script type="application/json">`. The site's `course-figures.js` (see
  `book/_ext/course_book.py`) draws it with the site's plotly.js when it is scrolled near the
  view. The JSON is kept small: long numeric arrays travel as float32 (plotly's typed-array form),
  short ones rounded, and plotly's default template is shipped once in `course-figures.js`
  instead of in every figure.
* Before writing a figure, `check_figure` refuses (raises, so the book's build fails) a log axis
  without power-format ticks ("10⁻⁶", not "1µ") and an axis range that hides the first or last
  point of a trace (where a path starts and ends).
* `fact(key, value)` makes a computed value quotable in the prose with myst-nb's glue
  (`` {glue:text}`key:.2f` ``); `check(condition, quote)` states that a sentence of the prose
  (quoted exactly) holds for the page's numbers: the build fails when it does not, and
  `tests/test_book_facts.py` checks that the quote still stands in the page.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import itertools
import json
import math
import numbers
import re
from typing import Any, Iterator, Optional

import numpy as np
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

RENDERER = "course_book"
DEFAULT_HEIGHT = 480
TOP_MARGIN = 56  # px above the plot area: plotly's toolbar (about 30 px) sits there, above any subplot title
SHORT = 16  # arrays shorter than this stay JSON numbers (rounded); longer ones become float32
DIGITS = 6  # significant digits kept in short arrays
# plotly.js-cartesian-dist draws these trace types; a page with any other needs the full bundle
CARTESIAN_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
                              "image", "pie", "scatter", "scatterternary", "violin"})
TEMPLATE_MARKER = "course"  # layout.template of a figure that uses the default template (course-figures.js has it)
_counter = itertools.count(1)
_checks = itertools.count(1)


# ---- figures ---------------------------------------------------------------------------------

def _axes(layout: dict) -> Iterator[tuple[str, dict]]:
    """The layout's cartesian axes: ("xaxis", {...}), ("yaxis2", {...}), ..."""
    for name, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict):
            yield name, axis


def _values(array: Any) -> Optional[list]:
    """A trace's coordinate array as a list (None when absent or not numeric)."""
    if array is None:
        return None
    if isinstance(array, dict) and "bdata" in array:
        values = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).tolist()
        return values
    if isinstance(array, (list, tuple, np.ndarray)):
        return list(np.asarray(array, dtype=object).reshape(-1)) if len(array) else []
    return None


def _finite_ends(xs: list, ys: list) -> list[tuple[float, float]]:
    points = [(x, y) for x, y in zip(xs, ys) if isinstance(x, numbers.Real) and isinstance(y, numbers.Real)
              and math.isfinite(x) and math.isfinite(y)]
    return [points[0], points[-1]] if points else []


def _inside(value: float, axis: dict, slack: float) -> bool:
    low, high = sorted(axis["range"])
    if axis.get("type") == "log":
        if value <= 0:
            return False
        value = math.log10(value)
    margin = slack * max(1.0, abs(high - low), abs(low), abs(high))
    return low - margin <= value <= high + margin


def check_figure(fig: dict, slack: float = 1e-9) -> None:
    """Raise ValueError for what the book does not print: a log axis whose ticks are not in power
    format, a slider that rewrites the title (the title is HTML above the figure), or a scatter trace
    (in the figure or in a frame) whose first or last finite point lies outside a fixed axis range
    (by more than `slack`, relative to the range)."""
    layout = fig.get("layout", {})
    for name, axis in _axes(layout):
        if axis.get("type") == "log" and axis.get("exponentformat") != "power":
            raise ValueError(f"figure {_title(layout)!r}: log axis {name} needs exponentformat='power'")
    for slider in layout.get("sliders", []) + layout.get("updatemenus", []):
        for step in slider.get("steps", []) + slider.get("buttons", []):
            if any(isinstance(a, dict) and ("title" in a or "title.text" in a) for a in step.get("args", [])):
                raise ValueError(f"figure {_title(layout)!r}: a slider step changes the title; "
                                 "write what changes in an annotation")
    traces = list(fig.get("data", []))
    for frame in fig.get("frames", []) or []:
        traces += list(frame.get("data", []))
    for trace in traces:
        if trace.get("type", "scatter") != "scatter":
            continue
        xs, ys = _values(trace.get("x")), _values(trace.get("y"))
        if xs is None or ys is None:
            continue
        xaxis = layout.get("xaxis" + trace.get("xaxis", "x")[1:], {})
        yaxis = layout.get("yaxis" + trace.get("yaxis", "y")[1:], {})
        for x, y in _finite_ends(xs, ys):
            for value, axis, which in ((x, xaxis, "x"), (y, yaxis, "y")):
                fixed = axis.get("range") is not None and axis.get("autorange") is not True
                if fixed and not _inside(value, axis, slack):
                    raise ValueError(f"figure {_title(layout)!r}: trace {trace.get('name')!r} has an end point "
                                     f"({x:.4g}, {y:.4g}) outside its {which} range {axis['range']}")


def _title(layout: dict) -> str:
    title = layout.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return title or ""


def _compact(value: Any) -> Any:
    """Figure data made small for the page: long numeric lists (1-D or 2-D) as float32 typed arrays
    (plotly.js reads {"dtype", "bdata", "shape"}), short ones rounded to DIGITS significant digits."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(s) for s in str(value["shape"]).split(",")])
            return _compact_array(array) if array.dtype.kind == "f" else value
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return [_compact(v) for v in value]
        if array.ndim in (1, 2) and array.size and not any(isinstance(v, (bool, str)) for v in _flat(value)):
            return _compact_array(array, as_int=all(isinstance(v, numbers.Integral) for v in _flat(value)))
        return [_compact(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{DIGITS}g}")
    return value


def _flat(value: Any) -> Iterator[Any]:
    for v in value:
        if isinstance(v, (list, tuple)):
            yield from v
        else:
            yield v


def _compact_array(array: np.ndarray, as_int: bool = False) -> Any:
    finite = array[np.isfinite(array)]
    magnitudes = np.abs(finite[finite != 0])
    fits_float32 = magnitudes.size == 0 or (magnitudes.min() > 1e-30 and magnitudes.max() < 1e30)
    if array.size < SHORT or as_int or not fits_float32:
        if as_int:
            return array.astype(np.int64).tolist()
        return [[_round(v) for v in row] for row in array.tolist()] if array.ndim == 2 else \
            [_round(v) for v in array.tolist()]
    out = {"dtype": "f4", "bdata": base64.b64encode(array.astype(np.float32).tobytes()).decode()}
    if array.ndim == 2:
        out["shape"] = f"{array.shape[0]}, {array.shape[1]}"
    return out


def _round(v: float) -> Optional[float]:
    if v is None or not math.isfinite(v):
        return None  # plotly draws a gap
    return float(f"{v:.{DIGITS}g}")


@functools.lru_cache(maxsize=1)
def default_template() -> dict:
    """plotly's default template as the JSON a figure carries (course-figures.js ships it once)."""
    from plotly.io.json import to_json_plotly

    return json.loads(to_json_plotly(pio.templates[pio.templates.default].to_plotly_json()))


def uses_default_template(layout: dict) -> bool:
    return layout.get("template") == default_template()


def figure_html(fig_dict: dict[str, Any], config: Optional[dict[str, Any]] = None) -> str:
    """The HTML of one figure: its title, an empty div and the figure's JSON, drawn by the site's
    course-figures.js when it comes near the view. The div's id is derived from the figure, so
    re-running a page gives the same HTML."""
    fig = json.loads(pio.to_json({k: fig_dict[k] for k in ("data", "layout", "frames") if k in fig_dict},
                                 validate=False))
    layout = fig.setdefault("layout", {})
    check_figure(fig)
    title = _title(layout)
    layout.pop("title", None)
    margin = layout.setdefault("margin", {})
    margin["t"] = max(int(margin.get("t", 0) or 0), TOP_MARGIN)
    if uses_default_template(layout):
        layout["template"] = TEMPLATE_MARKER
    fig = _compact(fig)
    fig["config"] = {"responsive": True, "displaylogo": False, **(config or {})}
    spec = json.dumps(fig, separators=(",", ":")).replace("</", "<\\/")  # the JSON sits inside a <script>
    div_id = f"fig-{next(_counter)}-{hashlib.sha1(spec.encode()).hexdigest()[:10]}"
    kinds = {t.get("type", "scatter") for t in fig.get("data", [])}
    bundle = "cartesian" if kinds <= CARTESIAN_TRACES else "full"
    height = int(layout.get("height") or DEFAULT_HEIGHT)
    caption = f'<p class="course-figure-title">{html.escape(title)}</p>\n' if title else ""
    return (
        f'<figure class="course-figure">\n{caption}'
        f'<div id="{div_id}" class="plotly-graph-div course-plot" data-plotly-bundle="{bundle}" '
        f'style="height:{height}px; width:100%;"></div>\n'
        f'<script type="application/json" class="course-figure-spec" data-for="{div_id}">{spec}</script>\n'
        '</figure>'
    )


class SitePlotlyRenderer(MimetypeRenderer):
    """A plotly renderer for the book: `text/html` without plotly.js (the site serves it)."""

    def __init__(self, config: Optional[dict[str, Any]] = None) -> None:
        self.config = dict(config or {})

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        return {"text/html": figure_html(fig_dict, self.config)}


def setup_page() -> None:
    """Render plotly figures as site-local, lazily drawn HTML (see the module docstring)."""
    pio.renderers[RENDERER] = SitePlotlyRenderer()
    pio.renderers.default = RENDERER


# ---- numbers and sentences of the prose ---------------------------------------------------------

def _plain(value: Any) -> Any:
    """numpy and torch scalars as Python numbers (their repr, e.g. np.float64(0.5), is no number)."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def fact(key: str, value: Any) -> Any:
    """Make `value` quotable in the page's prose as {glue:text}`key` or {glue:text}`key:.3g`
    (myst-nb's glue, written as a hidden output of the cell); returns the value."""
    from myst_nb import glue

    value = _plain(value)
    glue(key, value, display=False)
    return value


def check(holds: Any, quote: str) -> None:
    """The sentence `quote`, copied word for word from the page's prose, holds for the page's numbers.

    Raises AssertionError (so the book's build fails) when it does not; records the quote, so that
    tests/test_book_facts.py can check the sentence still stands in the page."""
    from myst_nb import glue

    holds = bool(holds)
    glue(f"check-{next(_checks)}", {"quote": quote, "holds": holds}, display=False)
    if not holds:
        raise AssertionError(f"the page says {quote!r}, but its own numbers disagree")
