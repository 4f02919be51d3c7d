"""The book as its readers get it: every page of _toc.yml (and the instructors' page, built outside it),
built, served on 127.0.0.1 and opened in headless Chromium, at a laptop's width (1366 px) and a
phone's (390 px). Each page loads with no console error and fetches nothing from outside the site;
its math is typeset by the site's own MathJax (loaded only where there is math); its plotly figures
are drawn, when scrolled into view, by the site's own cartesian plotly.js, and plotly's toolbar
covers no title; no code or output block overflows its box at 1366 px, and no display equation is
wider than a 390 px phone; every chapter transfers under 4 MB. Colab links open the right student
notebook, local links resolve, the search page finds NAdam. Screenshots at both widths go to
_build/screenshots/, with page-weights.json: the bytes and the time to interactive of each page.

Skips when Chromium is missing, unless COURSE_REQUIRE_ALL is set (CI): then it fails."""

from __future__ import annotations

import functools
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator
from urllib.parse import unquote, urlparse

import pytest
from book_fixtures import (
    LAPTOP,
    PAGES_WITHOUT_TOC,
    PHONE,
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

pytestmark = pytest.mark.slow  # drives Chromium


PAGES = [file for file, _ in toc_entries()] + PAGES_WITHOUT_TOC
CHAPTERS = [page for page in PAGES if (REPO / f"{page}.md").is_file()
            and "```{code-cell}" in (REPO / f"{page}.md").read_text()]
COLAB_NOTEBOOKS = expected_colab_url("").rsplit("/github/", 1)[0] + "/github/"  # Colab opening a GitHub file
MAX_CHAPTER_BYTES = 4_000_000  # transferred by a first visit that scrolls through the whole page
READY_BOUND_S = 15.0  # generous: the measured times are reported in page-weights.json, not tested tightly

# Resolves, with performance.now(), once MathJax has typeset the page and the figures in the first
# screen are drawn (the page is interactive); or after 30 s.
READY = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const deadline = Date.now() + 30000;
  if (document.querySelector('.math')) {
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline) await sleep(20);
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  const inView = e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; };
  const waiting = () => [...document.querySelectorAll('.plotly-graph-div')]
    .some(e => inView(e) && !e.classList.contains('js-plotly-plot'));
  while (waiting() && Date.now() < deadline) await sleep(20);
  return performance.now();
})()"""

# Scrolls through the page (drawing every figure as it comes into view); returns how many figures
# were still undrawn before scrolling (they are drawn lazily) and after (none, or a figure is broken).
SCROLL_THROUGH = """(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const undrawn = () => document.querySelectorAll('.plotly-graph-div:not(.js-plotly-plot)').length;
  const before = undrawn();
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y);
    await sleep(80);
  }
  const deadline = Date.now() + 30000;
  while (undrawn() && Date.now() < deadline) await sleep(50);
  scrollTo(0, 0);
  await sleep(300);
  return {before, after: undrawn()};
})()"""

FACTS = """(() => {
  const math = [...document.querySelectorAll('span.math, div.math')];
  const box = e => e.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
                          && a.width > 0 && a.height > 0 && b.width > 0 && b.height > 0;
  const covered = [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
    const bar = gd.querySelector('.modebar');
    if (!bar) return [];
    return [...gd.querySelectorAll('.gtitle, .annotation, .legend')]
      .filter(t => meets(box(bar), box(t))).map(t => `${gd.id}: ${t.textContent.slice(0, 60)}`);
  });
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
    overflowing: [...document.querySelectorAll('div.highlight pre, div.cell_output pre, div.output pre')]
      .filter(p => p.scrollWidth > p.clientWidth + 1)
      .map(p => `${p.scrollWidth} > ${p.clientWidth} px: `
                + p.textContent.split('\\n').sort((a, b) => b.length - a.length)[0].slice(0, 100)),
    covered,
  };
})()"""

PHONE_FACTS = """(() => ({
  wideMath: [...document.querySelectorAll('div.math')].filter(m => m.scrollWidth > m.clientWidth + 1)
    .map(m => `${m.scrollWidth} > ${m.clientWidth} px: ${m.textContent.slice(0, 80)}`),
  pageWidth: document.documentElement.scrollWidth, viewport: innerWidth,
  figuresWiderThanScreen: [...document.querySelectorAll('.js-plotly-plot')]
    .filter(d => d.getBoundingClientRect().right > innerWidth + 1).map(d => d.id),
}))()"""


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


def _shot(page: str, suffix: str = "") -> Path:
    return SCREENSHOTS / (page.replace("/", "__") + suffix + ".png")


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


def test_instructors_page_is_built_outside_the_students_toc(built_book: Path) -> None:
    """The instructors' page is not in the students' reading order (no prev/next link leads to it),
    but it is built, and the home page links it."""
    assert "book/instructors" not in dict(toc_entries())
    assert (built_book / "book" / "instructors.html").is_file()
    assert 'href="instructors.html"' in (built_book / "book" / "index.html").read_text()
    for page in PAGES:
        html = (built_book / f"{page}.html").read_text()
        for rel in ("prev", "next"):
            link = re.search(rf'<link rel="{rel}"[^>]*href="([^"]+)"', html)
            assert not (link and "instructors" in link.group(1)), f"{page}: its {rel} link is the instructors' page"


def test_page_titles_are_unique(built_book: Path) -> None:
    """Student-notebook pages say "Assignment: …": no two pages (prev/next links, search results)
    carry the same name."""
    titles = {}
    for page in PAGES:
        html = (built_book / f"{page}.html").read_text()
        titles[page] = re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()
    for page, title in titles.items():
        if page.startswith("assignments/"):
            assert title.startswith("Assignment: "), f"{page}: title {title!r}"
    repeated = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    assert not repeated, f"pages share a title: {repeated}"


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
    """Open every page once, as a first visit (no cache), at the laptop's width: the time until it is
    interactive, its facts after scrolling through it (every figure drawn), the bytes it transferred,
    its screenshot; then the same page at the phone's width, its facts and screenshot."""
    out = {}
    for page in PAGES:
        tab = browser.open(site_url + page + ".html", *LAPTOP, cache=False)
        try:
            ready_ms = tab.evaluate(READY)
            lazy = tab.evaluate(SCROLL_THROUGH)
            facts = tab.evaluate(FACTS)
            facts.update(ready_s=ready_ms / 1000, lazy=lazy, transferred=tab.transferred())
            facts["problems"] = tab.problems(site_url)
            tab.screenshot(_shot(page))
            tab.resize(*PHONE)
            tab.evaluate("new Promise(r => setTimeout(r, 800))")  # plotly relayouts on resize
            facts["phone"] = tab.evaluate(PHONE_FACTS)
            tab.screenshot(_shot(page, ".phone"))
            facts["problems"] += tab.problems(site_url)[len(facts["problems"]):]
        finally:
            tab.close()
        out[page] = facts
    report = {page: {"bytes": sum(f["transferred"].values()), "ready_s": round(f["ready_s"], 2),
                     "figures": len(f["figures"])} for page, f in out.items()}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "page-weights.json").write_text(json.dumps(report, indent=1) + "\n")
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
def test_assets_only_where_needed(visited: dict, built_book: Path, page: str) -> None:
    """MathJax only on pages with math, plotly.js only on pages with figures and then its cartesian
    bundle (every figure of the book is cartesian), no Font Awesome JavaScript, no search index."""
    html = (built_book / f"{page}.html").read_text()
    urls = list(visited[page]["transferred"])
    loads = lambda part: any(part in u for u in urls)  # noqa: E731
    assert loads("/_static/mathjax/") == ('class="math' in html), f"{page}: MathJax loaded without math, or missing"
    has_figures = 'class="plotly-graph-div' in html
    assert loads("/_static/plotly/plotly-cartesian.min.js") == has_figures, f"{page}: plotly.js"
    assert not loads("/_static/plotly.min.js"), f"{page}: the full plotly bundle, where the cartesian one draws all"
    assert not loads("fontawesome.js") and not loads("searchindex.js"), f"{page}: theme assets it does not need"


@pytest.mark.parametrize("page", PAGES)
def test_figures_are_drawn_when_scrolled_into_view(visited: dict, built_book: Path, page: str) -> None:
    html = (built_book / f"{page}.html").read_text()
    figures = visited[page]["figures"]
    assert len(figures) == html.count('class="plotly-graph-div'), f"{page}: a figure div went missing"
    for fig in figures:
        # 2-D traces are SVG groups; 3-D ones (surface, scatter3d) are drawn with WebGL on a canvas
        drawn = fig["drawn"] and fig["svg"] and fig["data"] > 0 and (fig["traces"] > 0 or fig["canvases"] > 0)
        assert drawn and not fig["noWebGL"], f"{page}: figure not drawn: {fig}"
    if figures:
        assert visited[page]["lazy"]["after"] == 0
        assert "cdn.plot.ly" not in html and "course-figures.js" in html
    if len(figures) >= 3:  # the last figures of a long page wait until they are scrolled to
        assert visited[page]["lazy"]["before"] > 0, f"{page}: every figure was drawn at load, none lazily"


@pytest.mark.parametrize("page", PAGES)
def test_toolbar_covers_no_title(visited: dict, page: str) -> None:
    """plotly's toolbar (top right of a figure) overlaps no subplot title, note or legend at 1366 px;
    figure titles are HTML above the figure."""
    assert not visited[page]["covered"], f"{page}: the toolbar covers {visited[page]['covered']}"


@pytest.mark.parametrize("page", PAGES)
def test_code_and_output_fit_their_boxes(visited: dict, page: str) -> None:
    """At 1366 px no code cell and no printed output needs a horizontal scroll bar."""
    assert not visited[page]["overflowing"], f"{page}: " + "\n".join(visited[page]["overflowing"])


@pytest.mark.parametrize("page", PAGES)
def test_phone_shows_every_equation(visited: dict, page: str) -> None:
    """At 390 px every display equation fits the width (long ones are written as aligned lines) and
    no figure is wider than the screen."""
    phone = visited[page]["phone"]
    assert not phone["wideMath"], f"{page}: " + "\n".join(phone["wideMath"])
    assert not phone["figuresWiderThanScreen"], f"{page}: {phone['figuresWiderThanScreen']}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_weight_and_time(visited: dict, page: str) -> None:
    """A first visit of a chapter, scrolled to the end (every figure drawn), transfers under 4 MB.
    The time until it is interactive (math typeset, first screen of figures drawn) depends on the
    machine's load: it is written to page-weights.json and bounded here only loosely."""
    total = sum(visited[page]["transferred"].values())
    largest = sorted(visited[page]["transferred"].items(), key=lambda kv: -kv[1])[:5]
    assert total < MAX_CHAPTER_BYTES, (f"{page}: {total / 1e6:.2f} MB transferred; the largest: "
                                       + ", ".join(f"{u.rsplit('/', 1)[-1]} {n / 1e3:.0f} kB" for u, n in largest))
    assert visited[page]["ready_s"] < READY_BOUND_S


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


def test_slider_changes_the_figure(browser: Browser, site_url: str) -> None:
    """A slider of the momentum chapter shows another precomputed path when moved: no kernel needed."""
    tab = browser.open(site_url + "book/momentum.html")
    try:
        tab.evaluate(READY)
        tab.evaluate(SCROLL_THROUGH)
        result = tab.evaluate("""(async () => {
          const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => (g.layout.sliders || []).length);
          const visible = () => gd._fullData.map(t => t.visible === true).join();
          const note = () => gd._fullLayout.annotations.map(a => a.text).join(' | ');
          const before = [visible(), note()];
          const steps = gd.layout.sliders[0].steps;
          const last = steps[steps.length - 1].args;
          await Plotly.update(gd, last[0], last[1], last[2]);
          return {before, after: [visible(), note()], states: steps.length};
        })()""")
    finally:
        tab.close()
    assert result["states"] >= 5
    assert result["after"][0] != result["before"][0] and result["after"][1] != result["before"][1]


def test_adam_figures_respond_to_the_mouse(browser: Browser, site_url: str) -> None:
    """Hover over a path shows its label; a drag zooms in: the figures are live plotly, not pictures."""
    tab = browser.open(site_url + "book/adam.html")
    try:
        tab.evaluate(READY)
        tab.evaluate(SCROLL_THROUGH)
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
