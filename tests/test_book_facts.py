"""The book says what its pages compute.

Every chapter computes the numbers its prose quotes: a number is pasted from the page's own output
(`course.book.fact` + myst-nb's `{glue:text}`), and a sentence about the numbers is stated in the
page with `course.book.check(condition, "the sentence")`, which fails the build when the numbers
disagree. These tests read the executed pages (_build/jupyter_execute/) and the built site
(_build/html/) and check that

* every checked sentence held and still stands, word for word, in the page's prose;
* every pasted key was computed, and every computed fact is pasted somewhere;
* every other number in a chapter's prose is a listed constant (the allowlists below say why) or a
  setting that the page's visible code uses, so an edit of a setting cannot silently leave a
  sentence behind;
* the facts that others could get wrong (floating-point limits, NAdam's schedule, the momentum
  band...) equal an independent computation here;
* code and printed output are wrapped at 88 columns, figures carry no plotly title (titles are
  HTML, where the toolbar cannot cover them), log axes print powers, ○ and ✕ are explained in a
  legend, and every axis shows the first and last point of each path.

Needs the built book (`python -m autograder book`, run by tests/test_browser.py and scripts/build).
"""

from __future__ import annotations

import ast
import json
import math
import re
from functools import lru_cache

import jupytext
import pytest
from conftest import REPO, require

SITE = REPO / "_build" / "html"
EXECUTED = REPO / "_build" / "jupyter_execute"
CHAPTERS = sorted(p.stem for p in (REPO / "book").glob("*.md") if "```{code-cell}" in p.read_text())
MIN_CHECKS = 5  # each chapter states at least this many sentences about its numbers
COLUMNS = 88

# Numbers that may stand in a chapter's prose without being pasted: constants of the mathematics,
# of torch or of the data, each with its reason. ("setting": the page's visible code must use it.)
SETTING = "setting"
TEXT_NUMBERS: dict[str, dict[str, str]] = {
    "autograd": {"0": "zero (a limit, the result 0, the origin (1, 0))", "1": "one (α from 0 to 1, the start (1, 0))",
                 "0.1": SETTING, "100": "100 % (a relative error of 1)",
                 "1000": "the assignment's tests use x = ±1000 (autograder/checks/autograd.py)"},
    "gradient_descent": {"0": "zero", "2": "the quadratic's stability limit γh = 2"},
    "momentum": {"0": "zero", "1": "the minimum of Rosenbrock at (1, 1)", "2": "plain SGD's limit γh = 2",
                 "10": "dividing the error by 10"},
    "adam": {"0": "zero", "1": "a gradient of 1, the minimum (1, 1)", "8": "scikit-learn's 8×8 digit images",
             "0.9": "torch's default β1", "0.99": "torch's default RMSprop alpha", "0.01": "AdamW's default",
             "10": "10 classes", "64": "64 pixels and 64 units", "100": "100 times smaller (the second coordinate)",
             "1000": "1000 zero gradients in the printed experiment"},
    "symmetry": {"0": "zero", "1": "one unit, width 1", "2": "the factor 2 of He's rule, a gain of 2",
                 "0.5": "a gain of 0.5 (the slider's end)", "8": "width 8", "16": "the teacher's 16 units",
                 "1000": "a factor 1000 between the perturbations", "0.3": SETTING, "0.1": SETTING},
    "schedules": {"0": "zero", "3": SETTING, "5": SETTING, "8": "8×8 images", "10": "÷10 and 10 classes",
                  "20": SETTING, "25": "OneCycleLR's default div_factor",
                  "30": "30 of 90 epochs (the recipes cited), OneCycleLR's pct_start of 30 %",
                  "60": "60 of 90", "80": "80 of 90 (Goyal et al.)",
                  "90": "90 epochs (the recipes cited)", "64": "64 pixels, units and minibatch size",
                  "0.3": SETTING, "0.8": SETTING, "0.85": "OneCycleLR's default base_momentum",
                  "0.95": "OneCycleLR's default max_momentum", "0.9": SETTING, "50": "ResNet-50, the network's name",
                  "8192": "Goyal et al.'s minibatch size"},
}
# Inside formulas, decimals and integers of 10 or more (smaller integers are the formulas' own).
MATH_NUMBERS: dict[str, dict[str, str]] = {
    "autograd": {"10": "Ganin & Lempitsky's schedule 2/(1 + e^(−10p)) − 1", "52": "2⁻⁵², the float64 spacing at 1",
                 "53": "2⁻⁵³, half of it"},
    "gradient_descent": {"1.25": "the bound 1 + 1/4 of the two waves", "10": "the starts' square [0, 10]²",
                         "11": "Himmelblau's formula"},
    "momentum": {"0.1": SETTING, "0.25": SETTING, "0.35": SETTING, "0.41": SETTING, "0.5": SETTING,
                 "0.9": SETTING, "0.99": SETTING, "10": "f1's formula", "11": "Himmelblau's formula",
                 "100": "Rosenbrock's formula"},
    "adam": {"0.01": SETTING, "0.1": SETTING, "0.2": "the gradient after the turn (the sequence is set in code)",
             "0.9": "torch's default β1", "0.96": "NAdam's constant 0.96", "0.99": "RMSprop's default alpha",
             "0.999": "torch's default β2", "10": "f1's formula, 10⁻⁸", "11": "Himmelblau's formula",
             "100": "Rosenbrock's formula"},
    "symmetry": {"10": "10⁻³ … 10⁻¹⁸ (orders of magnitude)", "12": "10⁻¹²", "16": "10⁻¹⁶", "18": "10⁻¹⁸"},
    "schedules": {"0.5": SETTING, "0.8": SETTING, "10": "10⁻⁴ and 10 in the range test"},
}
# constants that the figures of the prose may carry in settings but that are listed above as
# settings must appear in the page's visible code as written


# ---- reading the built book ------------------------------------------------------------------------

def _need_build() -> None:
    require((SITE / "book" / "index.html").is_file() and EXECUTED.is_dir(),
            "the built book (_build/html: run `python -m autograder book`)")


@lru_cache(maxsize=None)
def executed(page: str) -> dict:
    path = EXECUTED / "book" / f"{page}.ipynb"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the book")
    return json.loads(path.read_text())


@lru_cache(maxsize=None)
def glued(page: str) -> dict[str, object]:
    """The values a page glued (course.book.fact / check), by key: myst-nb keeps them beside the
    executed page, in <page>.glue.json (removed cells are gone from the executed notebook)."""
    path = EXECUTED / "book" / f"{page}.glue.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the book")
    out = {}
    for name, output in json.loads(path.read_text()).items():
        text = output["data"]["text/plain"]
        try:
            out[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[name] = text
    return out


@lru_cache(maxsize=None)
def source(page: str):
    return jupytext.read(REPO / "book" / f"{page}.md")


def _normal(text: str) -> str:
    return " ".join(text.split())


def prose_source(page: str) -> str:
    """The markdown of the page, whitespace normalised (what check() quotes)."""
    return _normal("\n".join(c.source for c in source(page).cells if c.cell_type == "markdown"))


def shown_code(page: str) -> str:
    return "\n".join(c.source for c in source(page).cells if c.cell_type == "code"
                     and "remove-cell" not in c.metadata.get("tags", []))


@lru_cache(maxsize=None)
def html(page: str) -> str:
    return (SITE / "book" / f"{page}.html").read_text()


def prose_html(page: str) -> tuple[str, list[str]]:
    """The text a reader reads (no code, outputs, pasted numbers, figures, citations), and the
    content of its formulas."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html(page), "html.parser")
    article = soup.select_one("article.bd-article") or soup
    formulas = [m.get_text() for m in article.select("span.math, div.math")]
    for selector in ("div.cell_input", "div.cell_output", "div.highlight", "pre", "code", "span.math",
                     "div.math", ".pasted-text", "figure.course-figure", "script", "style", "a.headerlink",
                     "a[href*='references.html']"):
        for element in article.select(selector):
            element.decompose()
    return article.get_text(" "), formulas


NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?!\w)")
MATH_NUMBER = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?)")


def figure_specs(page: str) -> list[dict]:
    return [json.loads(m.replace("<\\/", "</")) for m in
            re.findall(r'<script type="application/json" class="course-figure-spec"[^>]*>(.*?)</script>',
                       html(page), re.S)]


# ---- the tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", CHAPTERS)
def test_every_checked_sentence_holds_and_stands_in_the_page(page: str) -> None:
    _need_build()
    checks = {k: v for k, v in glued(page).items() if k.startswith("check-")}
    assert len(checks) >= MIN_CHECKS, f"{page}: only {len(checks)} sentences checked against its numbers"
    prose = prose_source(page)
    for key, record in checks.items():
        assert record["holds"], f"{page}: {record['quote']!r} does not hold"
        assert _normal(record["quote"]) in prose, (f"{page}: the checked sentence {record['quote']!r} is no "
                                                   "longer in the page: update the check with the prose")


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_pasted_number_is_computed_and_every_fact_pasted(page: str) -> None:
    _need_build()
    facts = {k for k in glued(page) if not k.startswith("check-")}
    used = set()
    for cell in source(page).cells:
        if cell.cell_type == "markdown":
            used |= {key.split(":")[0] for key in re.findall(r"\{glue:text\}`([^`]+)`", cell.source)}
    assert used <= facts, f"{page}: pastes {sorted(used - facts)}, which the page does not compute"
    assert facts <= used, f"{page}: computes {sorted(facts - used)} but its prose never quotes them"
    assert html(page).count('class="pasted-text"') >= len(used), f"{page}: a pasted number did not render"


@pytest.mark.parametrize("page", CHAPTERS)
def test_prose_numbers_are_computed_or_listed(page: str) -> None:
    """A number in the prose that is neither pasted from the page's output nor a listed constant
    is a claim no test would catch going stale: paste it (fact) or list it here with its reason.
    Numbers listed as settings must be used by the page's visible code."""
    _need_build()
    text, formulas = prose_html(page)
    found = set(NUMBER.findall(text))
    allowed = TEXT_NUMBERS.get(page, {})
    assert found <= set(allowed), f"{page}: numbers in the prose from nowhere: {sorted(found - set(allowed))}"
    in_math = {n for f in formulas for n in MATH_NUMBER.findall(f) if "." in n or float(n) >= 10}
    allowed_math = MATH_NUMBERS.get(page, {})
    assert in_math <= set(allowed_math), \
        f"{page}: numbers in formulas from nowhere: {sorted(in_math - set(allowed_math))}"
    code = shown_code(page)
    for number, reason in {**allowed, **allowed_math}.items():
        if reason == SETTING:
            assert re.search(rf"(?<![\w.]){re.escape(number)}(?![\w])", code), \
                f"{page}: the prose quotes the setting {number}, which the page's code no longer uses"


@pytest.mark.parametrize("page", CHAPTERS)
def test_code_and_output_wrap_at_88_columns(page: str) -> None:
    _need_build()
    long = []
    for cell in executed(page)["cells"]:
        if cell["cell_type"] != "code" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        lines = "".join(cell["source"]).splitlines()
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                lines += "".join(output["text"]).splitlines()
            elif output.get("output_type") == "execute_result" and "text/html" not in output.get("data", {}):
                lines += "".join(output.get("data", {}).get("text/plain", "")).splitlines()
        long += [f"{len(line)}: {line}" for line in lines if len(line) > COLUMNS]
    assert not long, f"{page}: lines longer than {COLUMNS} columns:\n" + "\n".join(long)


@pytest.mark.parametrize("page", CHAPTERS)
def test_figures_are_readable(page: str) -> None:
    """No plotly title (it is HTML above the figure), log axes in powers of ten, every ○ and ✕
    explained by a legend entry, every path's first and last point inside the axes."""
    import sys

    sys.path.insert(0, str(REPO))
    from course.book import check_figure

    _need_build()
    specs = figure_specs(page)
    assert len(specs) == html(page).count('class="plotly-graph-div'), f"{page}: a figure without its JSON"
    for spec in specs:
        layout = spec.get("layout", {})
        assert "title" not in layout, f"{page}: a figure keeps a plotly title: {layout['title']}"
        check_figure(spec, slack=1e-5)  # the figure's data travel as float32
        traces = spec.get("data", [])
        symbols: set = set()
        for t in traces:
            if "markers" in t.get("mode", ""):
                symbol = t.get("marker", {}).get("symbol")
                symbols |= set(symbol) if isinstance(symbol, list) else {symbol}
        names = " ".join(str(t.get("name", "")) for t in traces if t.get("showlegend", True) is not False)
        if "circle-open" in symbols:
            assert "○" in names or "start" in names, f"{page}: ○ markers without a legend entry ({names})"
        if symbols & {"x", "x-thin"}:
            assert "✕" in names or "end" in names or "inf or NaN" in names, f"{page}: ✕ markers unexplained"


def test_the_numbers_are_right() -> None:
    """The facts a reader is most likely to quote, recomputed here, independently of the pages."""
    import numpy as np

    _need_build()
    auto = glued("autograd")
    assert auto["exp_max_32"] == pytest.approx(math.log(np.finfo(np.float32).max), abs=1e-9)
    assert round(auto["exp_max_32"], 2) == 88.72 and round(auto["exp_max_64"], 2) == 709.78
    assert auto["half_ulp"] == 2.0**-53 and (1.0 + 2.0**-53) == 1.0 and (1.0 + 2.0**-52) > 1.0
    assert auto["log_half_ulp"] == pytest.approx(-53 * math.log(2))
    grad = glued("gradient_descent")
    w = np.linspace(0, 4 * np.pi, 2_000_001)
    assert grad["gd_exact_l"] == pytest.approx(np.abs(np.sin(w) + np.sin(w / 2) / 4).max(), abs=1e-6)
    assert grad["gd_bound_lr"] == 1.6
    mom = glued("momentum")
    for mu, key in ((0.5, "05"), (0.9, "09")):
        assert mom[f"band_top_{key}"] == pytest.approx((1 + math.sqrt(mu)) ** 2)
        assert mom[f"limit_{key}"] == pytest.approx(2 * (1 + mu))
        assert mom[f"band_top_{key}"] < mom[f"limit_{key}"]  # the band ends before the stability limit
    kappa = mom["kappa"]
    assert mom["rate_hb"] == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    assert mom["nesterov_limit"] == pytest.approx(3.8 / 2.8)
    adam = glued("adam")
    t = adam["mu_99"]
    mu = lambda step: 0.9 * (1 - 0.5 * 0.96 ** (step * 4e-3))  # noqa: E731
    assert mu(t) >= 0.99 * 0.9 > mu(t - 1) and t > 10_000  # tens of thousands of steps, not thousands
    assert adam["v_99"] == math.ceil(math.log(0.01) / math.log(0.999))
    assert adam["sparse_bound"] == pytest.approx(0.1 / math.sqrt(0.001))
    sched = glued("schedules")
    assert sched["floor_ratio"] == pytest.approx((0.5 / 3) / (0.05 / 3.9))
    assert sched["floor_slow"] > 50  # "some fifty steps" was wrong: the page's own data says more
    # the last of E epochs trains at ρ^(E−1), stepped once per epoch after it (not ρ^E)
    assert sched["exp_shrink"] == pytest.approx(0.8 ** -(sched["epochs"] - 1))
