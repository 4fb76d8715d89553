"""A headless Chromium driven over the DevTools protocol, for the report tests.

The browser talks over a pipe (``--remote-debugging-pipe``: commands in on file
descriptor 3, answers and events out on 4, each a JSON message ended by a NUL byte), so
no port is opened and no client library is needed. The flags are those that keep
Chromium from reaching out on its own (updates, sync, metrics) on a machine without a
network, and a fresh profile folder per run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """Debian's ``chromium`` (or a Chrome/Chromium on PATH), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLog:
    """What a page did while it loaded and ran."""

    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    exceptions: list[str] = field(default_factory=list)
    log_entries: list[tuple[str, str, str]] = field(default_factory=list)  # (level, source, text)
    failed_loads: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error-level log entries."""
        return (
            [text for kind, text in self.console if kind in ("error", "assert")]
            + self.exceptions
            + [f"{source}: {text}" for level, source, text in self.log_entries if level == "error"]
            + [f"failed to load {url}" for url in self.failed_loads]
        )


class Chromium:
    """One headless browser; use as a context manager."""

    def __init__(self, executable: str, profile: Path, width: int = 1280, height: int = 900):
        self.executable = executable
        self.profile = profile
        self.size = (width, height)
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def arrange_fds() -> None:  # in the child: the protocol's fixed descriptors
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        width, height = self.size
        # the browser's own log, in the profile folder (a pipe nobody reads could fill up)
        self._stderr = open(self.profile / "chromium.log", "wb")
        self.process = subprocess.Popen(
            [
                self.executable,
                *FLAGS,
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            # the pipe protocol needs fds 3 and 4; close_fds would close them after
            # preexec_fn, and the pipes' other ends are not inheritable (PEP 446) anyway
            preexec_fn=arrange_fds,
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._send({"id": self._new_id(), "method": "Browser.close"})
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._stderr.close()

    # -- the protocol ------------------------------------------------------------------------
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _send(self, message: dict[str, Any]) -> None:
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")

    def _receive(self, deadline: float) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise ConnectionError("Chromium closed the pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """Send a command and wait for its result (events seen meanwhile are kept)."""
        ident = self._new_id()
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._send(message)
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == ident:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 60.0) -> dict[str, Any]:
        """The first event ``method`` (already received or to come)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._receive(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    # -- one page ----------------------------------------------------------------------------
    def open(self, url: str, settle: float = 0.5) -> str:
        """Open ``url`` in a new tab with every domain that reports problems enabled, wait
        for its load event and a moment more; returns the session id."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        # let late scripts and image decodes report, then drain what is pending
        time.sleep(settle)
        self.call("Runtime.evaluate", {"expression": "1"}, session=session)
        return str(session)

    def page_log(self) -> PageLog:
        """Requests, console messages, exceptions and log entries seen so far."""
        log = PageLog()
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                log.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                log.failed_loads.append(params.get("errorText", "?"))
            elif method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                log.console.append((params["type"], text))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                log.exceptions.append(
                    details.get("exception", {}).get("description", details.get("text", "?"))
                )
            elif method == "Log.entryAdded":
                entry = params["entry"]
                log.log_entries.append((entry["level"], entry["source"], entry["text"]))
        return log

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of a JavaScript expression (returned by value, so JSON-able)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path, max_height: int = 16000) -> tuple[int, int]:
        """A PNG of the whole page (up to ``max_height`` CSS pixels); returns its size."""
        import base64

        metrics = self.call("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width = int(size["width"])
        height = int(min(size["height"], max_height))
        shot = self.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
            session=session,
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return width, height
