"""The book as its readers get it: every page of _toc.yml, built, served on 127.0.0.1 and opened in
headless Chromium. Each page loads with no console error and fetches nothing from outside the site,
its math is typeset by the site's own MathJax, its plotly figures are drawn by the site's own
plotly.js, its Colab links open the right student notebook, and its local links resolve. The search
page finds NAdam. A screenshot per page goes to _build/screenshots/.

Skips when Chromium is missing, unless COURSE_REQUIRE_ALL is set (CI): then it fails."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator
from urllib.parse import unquote, urlparse

import pytest
from book_fixtures import (
    REPO,
    SCREENSHOTS,
    SITE,
    Browser,
    QuietHandler,
    chromium_executable,
    expected_colab_url,
    student_notebooks,
    toc_entries,
)
from conftest import require

pytestmark = pytest.mark.slow  # grades classes or drives programs in subprocesses


PAGES = [file for file, _ in toc_entries()]
COLAB_NOTEBOOKS = expected_colab_url("").rsplit("/github/", 1)[0] + "/github/"  # Colab opening a GitHub file

# Resolves once MathJax has typeset the page and every plotly figure is drawn (or after 30 s).
SETTLE = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const deadline = Date.now() + 30000;
  if (document.querySelector('.math')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline) await sleep(50);
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  while (document.querySelector('.plotly-graph-div:not(.js-plotly-plot)') && Date.now() < deadline) await sleep(50);
  await sleep(300);
  return true;
})()"""

FACTS = """(() => {
  const math = [...document.querySelectorAll('span.math, div.math')];
  return {
    title: document.title,
    math: math.length,
    typeset: math.filter(e => e.querySelector('mjx-container')).length,
    mathErrors: document.querySelectorAll('[data-mml-node="merror"], mjx-merror').length,
    figures: [...document.querySelectorAll('.plotly-graph-div')].map(d => ({
      id: d.id, drawn: d.classList.contains('js-plotly-plot'), svg: d.querySelectorAll('svg.main-svg').length,
      traces: d.querySelectorAll('svg.main-svg g.trace').length, data: (d._fullData || []).length,
      canvases: d.querySelectorAll('canvas').length, noWebGL: d.innerText.includes('WebGL is not supported')})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    colab: [...document.querySelectorAll('a[href*="colab.research.google.com"], a.colab-link')].map(
      a => ({href: a.href, cls: a.className, text: a.textContent.trim()})),
    text: document.body.innerText.length,
  };
})()"""


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book (cached execution: seconds when nothing changed) and return _build/html."""
    proc = subprocess.run([sys.executable, "-m", "autograder", "book"], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail("`python -m autograder book` failed:\n" + (proc.stdout + proc.stderr)[-6000:])
    return SITE


@pytest.fixture(scope="session")
def site_url(built_book: Path) -> Iterator[str]:
    """The built site on http://127.0.0.1:<free port>/, served by a thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(QuietHandler, directory=str(built_book)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium; skips without it, unless COURSE_REQUIRE_ALL is set (then fails)."""
    executable = chromium_executable()
    require(executable is not None, "Chromium (apt-get install chromium)")
    b = Browser(executable)
    try:
        yield b
    finally:
        b.close()


def _page_file(site: Path, url: str, origin: str) -> Path | None:
    """The file of the site a local URL names (None for URLs elsewhere)."""
    if not url.startswith(origin):
        return None
    path = unquote(urlparse(url).path).lstrip("/")
    return site / (path + "index.html" if path.endswith("/") or not path else path)


def test_toc_lists_every_student_notebook() -> None:
    """Each assignment's student notebook is a page, under the chapter of the same name."""
    entries = dict(toc_entries())
    for notebook in student_notebooks():
        name = Path(notebook).stem
        page = notebook.removesuffix(".ipynb")
        assert page in entries, f"{notebook} is not in _toc.yml (add it under its chapter, book/{name})"
        assert entries[page] == f"book/{name}", f"{page} is under {entries[page]} in _toc.yml, not book/{name}"
    for file in entries:
        assert list(REPO.glob(file + ".*")), f"_toc.yml lists {file}, which does not exist"


def test_colab_url_follows_the_config() -> None:
    """A fork edits `repository:` in _config.yml and every {colab} link follows."""
    sys.path.insert(0, str(REPO / "book" / "_ext"))
    from course_book import colab_url

    config = SimpleNamespace(html_theme_options={
        "repository_url": "https://github.com/someone/fork.git", "repository_branch": "spring",
        "path_to_docs": "", "launch_buttons": {"colab_url": "https://colab.research.google.com/"}})
    assert colab_url(config, "assignments/adam/adam.ipynb") == \
        "https://colab.research.google.com/github/someone/fork/blob/spring/assignments/adam/adam.ipynb"
    config.html_theme_options["path_to_docs"] = "course/"
    assert colab_url(config, "assignments/x/x.ipynb").endswith("/blob/spring/course/assignments/x/x.ipynb")


@pytest.fixture(scope="module")
def visited(browser: Browser, site_url: str, built_book: Path) -> dict[str, dict]:
    """Open every page once: its facts, its problems, its screenshot."""
    out = {}
    for page in PAGES:
        tab = browser.open(site_url + page + ".html")
        try:
            tab.evaluate(SETTLE)
            facts = tab.evaluate(FACTS)
            facts["problems"] = tab.problems(site_url)
            tab.screenshot(SCREENSHOTS / (page.replace("/", "__") + ".png"))
        finally:
            tab.close()
        out[page] = facts
    return out


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_cleanly(visited: dict, page: str) -> None:
    facts = visited[page]
    assert facts["text"] > 200, f"{page}: almost empty page"
    assert not facts["problems"], f"{page}: " + "\n".join(facts["problems"])


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(visited: dict, built_book: Path, page: str) -> None:
    facts = visited[page]
    html = (built_book / f"{page}.html").read_text()
    if 'class="math' in html:
        assert facts["math"] > 0
        assert facts["typeset"] == facts["math"], f"{page}: {facts['math'] - facts['typeset']} formulas not typeset"
        assert facts["mathErrors"] == 0, f"{page}: MathJax reports {facts['mathErrors']} errors"
        assert "_static/mathjax/" in html, f"{page}: MathJax does not come from the site"


@pytest.mark.parametrize("page", PAGES)
def test_figures_are_drawn(visited: dict, built_book: Path, page: str) -> None:
    html = (built_book / f"{page}.html").read_text()
    figures = visited[page]["figures"]
    assert len(figures) == html.count('class="plotly-graph-div'), f"{page}: a figure div went missing"
    for fig in figures:
        # 2-D traces are SVG groups; 3-D ones (surface, scatter3d) are drawn with WebGL on a canvas
        drawn = fig["drawn"] and fig["svg"] and fig["data"] > 0 and (fig["traces"] > 0 or fig["canvases"] > 0)
        assert drawn and not fig["noWebGL"], f"{page}: figure not drawn: {fig}"
    if figures:
        assert html.count("plotly.min.js") == 1, f"{page}: plotly.js should be loaded exactly once"
        assert "cdn.plot.ly" not in html and "Plotly.newPlot" in html


def test_adam_page_has_its_figures(visited: dict) -> None:
    """The Adam/NAdam chapter: contour figures of f1, Rosenbrock and Himmelblau, SGD/momentum/Adam/NAdam."""
    figures = visited["book/adam"]["figures"]
    assert len(figures) >= 4
    assert sum(f["data"] >= 1 + 3 * 4 for f in figures) >= 3  # contour + (path, start, end) per optimizer


@pytest.mark.parametrize("page", PAGES)
def test_colab_links(visited: dict, page: str) -> None:
    """Chapter pages link their student notebook; notebook pages' launch button opens themselves."""
    links = {c["href"] for c in visited[page]["colab"] if c["href"].startswith(COLAB_NOTEBOOKS)}
    for href in links:
        notebook = href.split("/blob/", 1)[1].split("/", 1)[1]
        assert (REPO / notebook).is_file(), f"{page}: Colab link to {notebook}, which is not in the repository"
        assert href == expected_colab_url(notebook), f"{page}: {href} is not the configured repository's URL"
    if page.startswith("assignments/"):
        assert expected_colab_url(page + ".ipynb") in links, f"{page}: no Colab launch button"
    name = Path(page).name
    if page.startswith("book/") and (REPO / "assignments" / name / f"{name}.ipynb").is_file():
        assert expected_colab_url(f"assignments/{name}/{name}.ipynb") in links, \
            f"{page}: no link to its assignment in Colab; write {{colab}}`{name}`"


@pytest.mark.parametrize("page", PAGES)
def test_local_links_resolve(visited: dict, site_url: str, built_book: Path, page: str) -> None:
    missing = sorted({href for href in visited[page]["links"]
                      if (f := _page_file(built_book, href, site_url)) is not None and not f.is_file()})
    assert not missing, f"{page}: links to files that do not exist: {missing}"


def test_search_finds_nadam(browser: Browser, site_url: str) -> None:
    tab = browser.open(site_url + "search.html?q=NAdam")
    try:
        hits = tab.evaluate("""(async () => {
          const deadline = Date.now() + 20000;
          while (!document.querySelector('#search-results ul.search li') && Date.now() < deadline)
            await new Promise(r => setTimeout(r, 100));
          return [...document.querySelectorAll('#search-results ul.search li a')].map(a => a.href);
        })()""")
        tab.screenshot(SCREENSHOTS / "search.png")
        problems = tab.problems(site_url)
    finally:
        tab.close()
    assert not problems, "\n".join(problems)
    assert any("book/adam.html" in h for h in hits), f"search for NAdam found {hits}"


def test_adam_figures_respond_to_the_mouse(browser: Browser, site_url: str) -> None:
    """Hover over a path shows its label; a drag zooms in: the figures are live plotly, not pictures."""
    tab = browser.open(site_url + "book/adam.html")
    try:
        tab.evaluate(SETTLE)
        fig = tab.evaluate("""(() => {
          const gd = [...document.querySelectorAll('.js-plotly-plot')]
            .find(g => g._fullData.some(t => t.type === 'contour'));
          gd.scrollIntoView({block: 'center'});
          const t = gd._fullData.find(t => t.type === 'scatter' && t.mode === 'lines');
          const k = Math.floor(t.x.length / 2), fl = gd._fullLayout, box = gd.getBoundingClientRect();
          const left = box.left + fl._size.l, top = box.top + fl._size.t;
          return {id: gd.id, x: left + fl.xaxis.l2p(t.x[k]), y: top + fl.yaxis.l2p(t.y[k]),
                  left, top, w: fl._size.w, h: fl._size.h, range: fl.xaxis.range.slice()};
        })()""")

        def mouse(kind: str, x: float, y: float) -> None:
            browser.call("Input.dispatchMouseEvent", tab.session, type=kind, x=x, y=y, button="left",
                         buttons=1 if kind != "mouseReleased" else 0, clickCount=1)

        browser.call("Input.dispatchMouseEvent", tab.session, type="mouseMoved", x=fig["x"], y=fig["y"])
        hover = tab.evaluate(f"""new Promise(r => setTimeout(() => r(
          document.querySelectorAll('#{fig["id"]} .hoverlayer .hovertext').length), 500))""")
        x0, y0 = fig["left"] + 0.3 * fig["w"], fig["top"] + 0.3 * fig["h"]
        mouse("mousePressed", x0, y0)
        for step in range(1, 11):
            mouse("mouseMoved", x0 + 0.03 * step * fig["w"], y0 + 0.03 * step * fig["h"])
        mouse("mouseReleased", x0 + 0.3 * fig["w"], y0 + 0.3 * fig["h"])
        zoomed = tab.evaluate(f"""new Promise(r => setTimeout(() => r(
          document.getElementById('{fig["id"]}')._fullLayout.xaxis.range.slice()), 500))""")
        tab.screenshot(SCREENSHOTS / "book__adam__zoomed.png")
    finally:
        tab.close()
    assert hover > 0, "no hover label over a path"
    assert zoomed[1] - zoomed[0] < 0.5 * (fig["range"][1] - fig["range"][0]), f"no zoom: {fig['range']} -> {zoomed}"
