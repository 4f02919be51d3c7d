"""Helpers of the book's tests: the table of contents, the configured Colab URLs, a quiet HTTP handler
for serving the built site, and a small client of Chromium's DevTools protocol (no browser download:
the Debian `chromium` package, driven over a websocket with `websocket-client`)."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import yaml
from conftest import REPO

SITE = REPO / "_build" / "html"
SCREENSHOTS = REPO / "_build" / "screenshots"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--window-size=1366,900"]
LAPTOP = (1366, 900)  # the widths the book is checked at: a laptop, and a phone (CSS pixels)
PHONE = (390, 844)
PAGES_WITHOUT_TOC = ["book/instructors"]  # built, linked from the home page, not in the students' toc


# ---- the book's configuration -------------------------------------------------------------------

def toc_entries(toc: Optional[dict] = None) -> list[tuple[str, Optional[str]]]:
    """Every page of _toc.yml as (file, parent file), in reading order; the root has no parent."""
    toc = toc if toc is not None else yaml.safe_load((REPO / "_toc.yml").read_text())
    out: list[tuple[str, Optional[str]]] = [(toc["root"], None)]

    def walk(entries: list[dict], parent: Optional[str]) -> None:
        for entry in entries:
            if "file" in entry:
                out.append((entry["file"], parent))
            for key in ("sections", "chapters"):
                walk(entry.get(key, []), entry.get("file", parent))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []), parent)

    walk(toc.get("chapters", []), None)
    for part in toc.get("parts", []):
        walk(part.get("chapters", []), None)
    return out


def book_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "_config.yml").read_text())


def expected_colab_url(notebook: str) -> str:
    """The Colab URL of a notebook (path from the repository root), from _config.yml, computed here
    independently of the book's extension."""
    config = book_config()
    repo = config["repository"]
    org, name = urlparse(repo["url"]).path.strip("/").split("/")[:2]
    colab = config.get("launch_buttons", {}).get("colab_url", "https://colab.research.google.com").rstrip("/")
    book = (repo.get("path_to_book") or "").strip("/")
    path = f"{book}/{notebook}" if book else notebook
    return f"{colab}/github/{org}/{name}/blob/{repo.get('branch') or 'master'}/{path}"


def student_notebooks() -> list[str]:
    """assignments/<a>/<a>.ipynb of every assignment, as paths from the repository root."""
    return sorted(p.relative_to(REPO).as_posix() for p in (REPO / "assignments").glob("*/*.ipynb")
                  if p.stem == p.parent.name)


# ---- the built site, served ---------------------------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without a log line per request."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


# ---- Chromium over the DevTools protocol ----------------------------------------------------------

def chromium_executable() -> Optional[str]:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


class Browser:
    """Headless Chromium and one websocket to its DevTools endpoint (flattened sessions per tab)."""

    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        import websocket  # websocket-client, pinned in requirements.txt

        self.profile = Path(tempfile.mkdtemp(prefix="course-chromium-"))
        self.log = open(self.profile / "chromium.log", "wb")
        self.proc = subprocess.Popen([executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                                      "--remote-debugging-port=0", "about:blank"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.profile / "chromium.log").read_text(errors="replace")[-2000:]
                self.close()
                raise RuntimeError(f"Chromium did not start: {log}")
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout,
                                              suppress_origin=True)
        self.timeout = timeout
        self.events: list[dict] = []
        self._id = 0

    def call(self, method: str, session: Optional[str] = None, **params: Any) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str, session: str, timeout: Optional[float] = None) -> dict:
        """Wait for an event of this tab (one that arrived already counts)."""
        for e in self.events:
            if e.get("method") == event and e.get("sessionId") == session:
                return e
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                reply = json.loads(self.ws.recv())
            except Exception:
                break
            finally:
                self.ws.settimeout(self.timeout)
            self.events.append(reply)
            if reply.get("method") == event and reply.get("sessionId") == session:
                return reply
        raise TimeoutError(f"no {event} within {timeout or self.timeout} s")

    def open(self, url: str, width: int = LAPTOP[0], height: int = LAPTOP[1], cache: bool = True) -> "Tab":
        """A new tab showing `url`, once its load event fired; `cache=False` fetches every file anew
        (what a first visit transfers)."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method, session)
        if not cache:
            self.call("Network.setCacheDisabled", session, cacheDisabled=True)
        tab = Tab(self, target, session)
        tab.resize(width, height)
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return tab

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session
        self.width, self.height = LAPTOP

    def resize(self, width: int, height: int) -> None:
        """Lay the page out at this viewport (a width under 600 px as a phone: mobile viewport)."""
        self.width, self.height = width, height
        self.browser.call("Emulation.setDeviceMetricsOverride", self.session, width=width, height=height,
                          deviceScaleFactor=1, mobile=width < 600)

    def transferred(self) -> dict[str, int]:
        """Bytes received so far (as sent: headers and body), by URL."""
        urls = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in self.events()
                if e.get("method") == "Network.requestWillBeSent"}
        return {urls.get(e["params"]["requestId"], "?"): int(e["params"].get("encodedDataLength", 0))
                for e in self.events() if e.get("method") == "Network.loadingFinished"}

    def evaluate(self, expression: str) -> Any:
        """The value of a JS expression (awaited if it is a promise)."""
        result = self.browser.call("Runtime.evaluate", self.session, expression=expression,
                                   returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def events(self) -> list[dict]:
        return [e for e in self.browser.events if e.get("sessionId") == self.session]

    def problems(self, origin: str) -> list[str]:
        """Console errors, uncaught exceptions, failed loads, and requests that leave `origin`."""
        out = []
        for e in self.events():
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.error: " + " ".join(str(a.get("value", a.get("description", "")))
                                                        for a in p.get("args", [])))
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif method == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith((origin, "data:", "blob:", "about:")):
                    out.append(f"request outside the site: {url}")
            elif method == "Network.loadingFailed" and not p.get("canceled"):
                out.append(f"load failed: {p.get('errorText')} ({p.get('type')})")
        return out

    def screenshot(self, path: Path, max_height: int = 60000) -> None:
        """The whole page at the tab's width, up to max_height pixels, as a PNG: the viewport is
        stretched to the page's height for the shot (clipping beyond the viewport shifts this
        theme's layout), then set back."""
        import base64

        width, height = self.width, self.height
        metrics = self.browser.call("Page.getLayoutMetrics", self.session)
        full = int(min(max_height, max(height, metrics["cssContentSize"]["height"])))
        self.resize(width, full)
        self.evaluate("new Promise(r => setTimeout(r, 500))")
        shot = self.browser.call("Page.captureScreenshot", self.session, format="png")
        self.resize(width, height)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        self.browser.call("Target.closeTarget", targetId=self.target)
