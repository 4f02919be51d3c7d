"""Sphinx extension of the course book: Colab links built from `_config.yml`, plotly.js served by the site.

* `` {colab}`adam` `` (MyST) links to the student notebook `assignments/adam/adam.ipynb` in Colab,
  through the repository named in `_config.yml` (`repository: url`, `branch`, `path_to_book`): a fork
  edits those lines only. `` {colab}`Other text <adam>` `` changes the link text. The URL is made when
  the page is written, so a changed `_config.yml` needs no re-read; a missing notebook is a warning
  (an error under `-W`).
* plotly.js: `course.book.setup_page()` makes every figure a `<div class="plotly-graph-div">` plus a
  script that draws it once `window.Plotly` exists. This extension copies `plotly.min.js` from the
  installed plotly package into `_static/` and loads it (deferred) on the pages that have a figure.
* Cells of inlined course code (`# inline:` in the chapter sources) are folded on the student-notebook
  pages.
* Pages written as MyST markdown notebooks lose the theme's "launch" button: it would open the `.md`
  file in Colab, which Colab cannot read. Chapter pages link their student notebook instead, and
  the student notebooks (real `.ipynb` pages) keep their button.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

DEFAULT_COLAB = "https://colab.research.google.com"
DEFAULT_TEXT = "Open the assignment in Colab"
NOTEBOOK = "assignments/{name}/{name}.ipynb"
PLOTLY_JS = "plotly.min.js"
FIGURE_MARKER = 'class="plotly-graph-div'
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


def add_plotly_js(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Load the site's plotly.js, once, on the pages that draw a plotly figure."""
    if FIGURE_MARKER in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, loading_method="defer")


def dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop repeated <script> tags: jupyter-book registers thebe's and togglebutton's inline scripts twice,
    and a repeated `const` declaration is a SyntaxError in the browser."""
    seen, unique = set(), []
    for js in context.get("script_files", []):
        key = (str(getattr(js, "filename", js) or ""), getattr(js, "attributes", {}).get("body", ""))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def drop_launch_of_markdown(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Remove the "launch in Colab" button from pages whose source is not an .ipynb (Colab cannot open them)."""
    if context.get("page_source_suffix") == ".ipynb" or "header_buttons" not in context:
        return
    context["header_buttons"] = [b for b in context["header_buttons"] if b.get("label") != "launch-buttons"]


def copy_plotly_js(app: Sphinx) -> None:
    """Copy plotly.min.js of the installed plotly package into the site (only when it changed).

    Done before the pages are written, so that their script tags carry the file's checksum."""
    if app.builder.format != "html":
        return
    import plotly

    source = Path(plotly.__file__).parent / "package_data" / PLOTLY_JS
    target = Path(app.outdir) / "_static" / PLOTLY_JS
    if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_role("colab", ColabRole())
    app.add_post_transform(FoldInlinedCode)
    app.connect("doctree-resolved", resolve_colab_links)
    app.connect("html-page-context", add_plotly_js)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", drop_launch_of_markdown, priority=900)
    app.connect("builder-inited", copy_plotly_js)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
