"""Set-up shared by every page of the static book.

Every chapter page calls `setup_page()` in a hidden first cell. Figures then come out as `text/html`
(the one mime type the book's HTML keeps: myst-nb warns about, and drops, plotly's own JSON mime
type): a `<div class="plotly-graph-div">` and a small script that draws the figure with
`Plotly.newPlot` once plotly.js is there. plotly.js itself is not in the figure: the book's Sphinx
extension (`book/_ext/course_book.py`) copies it from the installed plotly package into the site and
loads it once on each page that has a figure. So figures stay interactive, pages stay small, and
nothing is fetched from a CDN.
"""

import hashlib
import itertools
import json
from typing import Any

import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

RENDERER = "course_book"
DEFAULT_HEIGHT = 480
_counter = itertools.count(1)


def figure_html(fig_dict: dict[str, Any], config: dict[str, Any] | None = None) -> str:
    """The HTML of one figure: a div and a script that draws it with the page's plotly.js.

    The div's id is derived from the figure, so re-running a page gives the same HTML."""
    figure = pio.to_json({"data": fig_dict.get("data", []), "layout": fig_dict.get("layout", {})},
                         validate=False).replace("</", "<\\/")  # the JSON sits inside a <script>
    options = json.dumps({"responsive": True, "displaylogo": False, **(config or {})})
    div_id = f"fig-{next(_counter)}-{hashlib.sha1(figure.encode()).hexdigest()[:10]}"
    height = fig_dict.get("layout", {}).get("height") or DEFAULT_HEIGHT
    return (
        f'<div id="{div_id}" class="plotly-graph-div" style="height:{int(height)}px; width:100%;"></div>\n'
        '<script type="text/javascript">(function () {\n'
        f'  var fig = {figure};\n'
        f'  function draw() {{ Plotly.newPlot("{div_id}", fig.data, fig.layout, {options}); }}\n'
        '  if (window.Plotly) { draw(); } else { window.addEventListener("DOMContentLoaded", draw); }\n'
        '})();</script>'
    )


class SitePlotlyRenderer(MimetypeRenderer):
    """A plotly renderer for the book: `text/html` without plotly.js (the site serves it)."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = dict(config or {})

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, str]:
        return {"text/html": figure_html(fig_dict, self.config)}


def setup_page() -> None:
    """Render plotly figures as site-local interactive HTML (see the module docstring)."""
    pio.renderers[RENDERER] = SitePlotlyRenderer()
    pio.renderers.default = RENDERER
