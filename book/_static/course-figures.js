/* Draws the book's plotly figures when they come near the view (course/book.py writes them: an
 * empty <div class="course-plot"> and the figure's JSON in a <script data-for="its id">).
 *
 * plotly.js is not in the page's head: this script loads it (its `data-plotly` attribute names the
 * bundle, next to this file) when the first figure comes near the view, or once the page's math is
 * typeset and the browser is idle, whichever comes first. So MathJax and the text come first.
 * The book's Sphinx extension prepends COURSE_PLOTLY_TEMPLATE, plotly's default template, which
 * the figures name as "course" instead of carrying a copy each.
 * window.courseFigures.drawAll() draws every figure at once (printing does). */
(function () {
  "use strict";
  const self = document.currentScript;
  const bundle = new URL(self.dataset.plotly, self.src).href;
  const pending = new Set();
  let observer = null;
  let plotly = null;

  function loadPlotly() {
    if (!plotly) {
      plotly = new Promise((resolve, reject) => {
        if (window.Plotly) {
          resolve();
          return;
        }
        const script = document.createElement("script");
        script.src = bundle;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error("could not load " + bundle));
        document.head.appendChild(script);
      });
    }
    return plotly;
  }

  function spec(div) {
    const source = document.querySelector('script.course-figure-spec[data-for="' + div.id + '"]');
    const figure = JSON.parse(source.textContent);
    if (figure.layout && figure.layout.template === "course") {
      figure.layout.template = window.COURSE_PLOTLY_TEMPLATE;
    }
    return figure;
  }

  function draw(div) {
    if (!pending.has(div)) {
      return Promise.resolve(div);
    }
    pending.delete(div);
    if (observer) {
      observer.unobserve(div);
    }
    return loadPlotly().then(() => {
      const figure = spec(div);
      const drawn = Plotly.newPlot(div, figure.data, figure.layout, figure.config);
      return figure.frames ? drawn.then(gd => Plotly.addFrames(gd, figure.frames).then(() => gd)) : drawn;
    });
  }

  function drawAll() {
    return Promise.all([...pending].map(draw));
  }

  function whenIdle(callback) {
    const math = window.MathJax && MathJax.startup && MathJax.startup.promise;
    Promise.resolve(math).then(() => {
      if ("requestIdleCallback" in window) {
        requestIdleCallback(callback, {timeout: 2000});
      } else {
        setTimeout(callback, 200);
      }
    });
  }

  function start() {
    const divs = document.querySelectorAll("div.course-plot");
    if (!divs.length) {
      return;
    }
    divs.forEach(div => pending.add(div));
    window.addEventListener("beforeprint", drawAll);
    if (!("IntersectionObserver" in window)) {
      drawAll();
      return;
    }
    observer = new IntersectionObserver(
      entries => entries.forEach(entry => { if (entry.isIntersecting) { draw(entry.target); } }),
      {rootMargin: "600px 0px"});
    divs.forEach(div => observer.observe(div));
    whenIdle(loadPlotly);
  }

  window.courseFigures = {draw: draw, drawAll: drawAll, pending: () => pending.size, loadPlotly: loadPlotly};
  // Deferred scripts (MathJax's loader among them) have all run when DOMContentLoaded fires.
  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
