"""Sphinx extension of the course book: Colab links built from `_config.yml`, a light site served by itself.

* `` {colab}`adam` `` (MyST) links to the student notebook `assignments/adam/adam.ipynb` in Colab,
  through the repository named in `_config.yml` (`repository: url`, `branch`, `path_to_book`): the
  public student repository that `python -m autograder publish` fills, never the private one that
  holds solutions/. A fork edits those lines only. `` {colab}`Other text <adam>` `` changes the
  link text. The URL is made when the page is written, so a changed `_config.yml` needs no re-read;
  a missing notebook is a warning (an error under `-W`).
* Figures: `course.book.setup_page()` writes every figure as an empty `<div class="plotly-graph-div">`
  with its JSON beside it. This extension serves `course-figures.js` on the pages that have a figure;
  it draws a figure when it comes near the view, with plotly.js, which it loads then (or once the
  page's math is typeset and the browser is idle): the
  cartesian bundle (`plotly.js-cartesian-dist-min`, vendored in `book/_extra/_static/plotly/`,
  1.5 MB) when every figure of the page is cartesian, else the full `plotly.min.js` of the installed
  plotly package (4.8 MB). The vendored bundle must be the version of the installed plotly.js.
* MathJax (vendored components in `book/_extra/_static/mathjax/`: the loader, TeX input, CommonHTML
  output and its fonts, about 0.7 MB instead of 2.3 MB for the all-in-one file) loads only on pages
  that show math. (Sphinx also loads it on a page whose toctree children have math: the home page.)
* Pages that are not the search page do not load the search index; the theme's Font Awesome
  JavaScript (1.5 MB) is not loaded (`book/_templates/static/webpack-macros.html`): the theme's CSS
  draws the same icons with Font Awesome's web fonts.
* `course_orphan_pages` (in `_config.yml`): pages built although they are not in `_toc.yml` (the
  instructors' page: linked from the home page and the README, not part of the students' reading order).
* Cells of inlined course code (`# inline:` in the chapter sources) are folded on the student-notebook
  pages.
* Pages written as MyST markdown notebooks lose the theme's "launch" button: it would open the `.md`
  file in Colab, which Colab cannot read. Chapter pages link their student notebook instead, and
  the student notebooks (real `.ipynb` pages) keep their button.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

DEFAULT_COLAB = "https://colab.research.google.com"
DEFAULT_TEXT = "Open the assignment in Colab"
NOTEBOOK = "assignments/{name}/{name}.ipynb"
PLOTLY_FULL = "plotly.min.js"  # copied from the installed plotly package
PLOTLY_CARTESIAN = "plotly/plotly-cartesian.min.js"  # vendored, copied through html_extra_path
FIGURES_JS = "course-figures.js"
COURSE_CSS = "course.css"
FIGURE_MARKER = 'class="plotly-graph-div'
FULL_BUNDLE_MARKER = 'data-plotly-bundle="full"'
MATH_MARKER = 'class="math'
STATIC = Path(__file__).resolve().parent.parent / "_static"
VENDORED_CARTESIAN = Path(__file__).resolve().parent.parent / "_extra" / "_static" / PLOTLY_CARTESIAN
INLINED = "# Generated from "  # first line of a cell that `python -m autograder build` filled with course code


def colab_url(config: Any, notebook: str) -> str:
    """The Colab URL of `notebook` (a path relative to the book's root) in the configured repository."""
    theme = config.html_theme_options or {}
    colab = ((theme.get("launch_buttons") or {}).get("colab_url") or DEFAULT_COLAB).rstrip("/")
    parts = urlparse(theme.get("repository_url", "")).path.strip("/").removesuffix(".git").split("/")
    if len(parts) < 2 or not all(parts[:2]):
        raise ValueError("_config.yml: `repository: url` must be https://github.com/<org>/<repo>")
    branch = theme.get("repository_branch") or "master"  # as jupyter-book and its launch buttons
    book = theme.get("path_to_docs", "").strip("/")
    path = f"{book}/{notebook}" if book else notebook
    return f"{colab}/github/{parts[0]}/{parts[1]}/blob/{branch}/{path}"


class ColabRole(SphinxRole):
    """`` {colab}`name` `` or `` {colab}`text <name>` ``: a link to the student notebook of `name` in Colab."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        text, name = DEFAULT_TEXT, self.text.strip()
        if name.endswith(">") and "<" in name:
            text, _, name = name[:-1].rpartition("<")
            text, name = text.strip(), name.strip()
        ref = nodes.reference(self.rawtext, text, refuri="#", classes=["colab-link"])
        ref["colab_notebook"] = NOTEBOOK.format(name=name)
        return [ref], []


def resolve_colab_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Fill in the URL of every {colab} link; warn about a link to a notebook that does not exist."""
    for ref in doctree.findall(nodes.reference):
        notebook = ref.get("colab_notebook")
        if notebook is None:
            continue
        if not (Path(app.srcdir) / notebook).is_file():
            logger.warning("{colab} link to %s, which does not exist (run `python -m autograder build`)",
                           notebook, location=ref)
        ref["refuri"] = colab_url(app.config, notebook)


class FoldInlinedCode(SphinxPostTransform):
    """On student-notebook pages, fold the cells of inlined course code (hundreds of lines of test
    helpers) behind a "show" toggle, as a `hide-input` tag would: the page reads like the exercise."""

    default_priority = 198  # before myst-nb's HideInputCells (199), which builds the toggle
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for cell in self.document.findall(nodes.container):
            if (cell.get("nb_element") == "cell_code" and not cell.get("hide_mode") and cell.children
                    and cell.children[0].astext().startswith(INLINED)):
                cell["hide_mode"] = "input"
                cell["prompt_show"] = "Show the course code inlined here"
                cell["prompt_hide"] = "Hide the course code"


def add_page_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """On the pages that draw a plotly figure: course-figures.js (deferred), which loads plotly.js
    (the cartesian bundle unless a figure needs more; the path in its `data-plotly`, relative to
    _static/) when a figure comes near the view or the page is idle: the text and math come first."""
    body = context.get("body", "")
    if FIGURE_MARKER in body:
        bundle = PLOTLY_FULL if FULL_BUNDLE_MARKER in body else PLOTLY_CARTESIAN
        app.add_js_file(FIGURES_JS, loading_method="defer", priority=600, **{"data-plotly": bundle})


def _script_name(js: Any) -> str:
    return str(getattr(js, "filename", js) or "")


def drop_unneeded_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop MathJax (and its configuration) from pages without math, and repeated <script> tags:
    jupyter-book registers thebe's and togglebutton's inline scripts twice, and a repeated `const`
    declaration is a SyntaxError in the browser."""
    has_math = MATH_MARKER in context.get("body", "")
    seen, kept = set(), []
    for js in context.get("script_files", []):
        name, body = _script_name(js), getattr(js, "attributes", {}).get("body", "")
        if not has_math and ("mathjax/" in name or body.startswith("window.MathJax")):
            continue
        if (name, body) not in seen:
            seen.add((name, body))
            kept.append(js)
    context["script_files"] = kept


def drop_launch_of_markdown(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Remove the "launch in Colab" button from pages whose source is not an .ipynb (Colab cannot open them)."""
    if context.get("page_source_suffix") == ".ipynb" or "header_buttons" not in context:
        return
    context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "launch-buttons"]


def plotly_version(path: Path) -> str:
    """The version in the banner of a plotly.js file ("plotly.js v4.1.1")."""
    match = re.search(r"plotly\.js[^\n]*? v(\d+\.\d+\.\d+)", path.read_text(errors="replace")[:400])
    return match.group(1) if match else "unknown"


def _copy_if_changed(source: Path, target: Path) -> None:
    if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def write_static_files(app: Sphinx) -> None:
    """Put plotly.min.js of the installed plotly package, course-figures.js (with plotly's default
    template) and course.css into the site, only when they changed. Done before the pages are
    written, so that their script tags carry the files' checksums."""
    if app.builder.format != "html":
        return
    import plotly

    full = Path(plotly.__file__).parent / "package_data" / PLOTLY_FULL
    static = Path(app.outdir) / "_static"
    _copy_if_changed(full, static / PLOTLY_FULL)
    _copy_if_changed(STATIC / COURSE_CSS, static / COURSE_CSS)
    if plotly_version(VENDORED_CARTESIAN) != plotly_version(full):
        logger.warning("%s is plotly.js %s but the installed plotly package has %s: vendor the matching "
                       "plotly.js-cartesian-dist-min (see README, The book)", VENDORED_CARTESIAN.name,
                       plotly_version(VENDORED_CARTESIAN), plotly_version(full))
    import plotly.io as pio
    from plotly.io.json import to_json_plotly

    template = json.loads(to_json_plotly(pio.templates[pio.templates.default].to_plotly_json()))
    script = (f"window.COURSE_PLOTLY_TEMPLATE = {json.dumps(template, separators=(',', ':'))};\n"
              + (STATIC / FIGURES_JS).read_text())
    target = static / FIGURES_JS
    if not target.is_file() or target.read_text() != script:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(script)


def build_orphan_pages(app: Sphinx, config: Config) -> None:
    """Build the pages named in `course_orphan_pages` although _toc.yml does not list them: undo the
    exclusion that sphinx-external-toc (priority 900) adds for every file missing from the toc. The
    pages say `orphan: true` in their front matter, so Sphinx does not warn that no toctree has them."""
    orphans = {page.removesuffix(".md") for page in config.course_orphan_pages}
    config["exclude_patterns"] = [p for p in config["exclude_patterns"]
                                  if Path(p).with_suffix("").as_posix() not in orphans]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("course_orphan_pages", [], "env")
    app.add_role("colab", ColabRole())
    app.add_post_transform(FoldInlinedCode)
    app.add_css_file(COURSE_CSS)
    app.connect("config-inited", build_orphan_pages, priority=950)
    app.connect("doctree-resolved", resolve_colab_links)
    app.connect("html-page-context", add_page_assets)
    app.connect("html-page-context", drop_unneeded_scripts, priority=900)  # after mathjax's (500)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", drop_launch_of_markdown, priority=900)
    app.connect("builder-inited", write_static_files)
    return {"version": "2.0", "parallel_read_safe": True, "parallel_write_safe": True}
