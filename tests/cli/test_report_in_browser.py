"""The report opened in a real headless Chromium: it renders, reports no console error,
makes no network request, shows every figure, sorts its tables, and leaves a screenshot
in ``artifacts/`` (git-ignored, kept by CI).

Chromium is Debian's ``chromium`` package, installed by ``.ci/run``; in CI
(``CLVKIT_REQUIRE_BROWSER=1``) a missing browser fails these tests rather than skipping
them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _chromium import Chromium
from conftest import ARTIFACTS, ReportRun

from clvkit.cli.figures import FIGURES

_CHECK_PAGE = """
(() => {
  const images = Array.from(document.images);
  return {
    title: document.title,
    images: images.length,
    drawn: images.filter(i => i.complete && i.naturalWidth > 300).length,
    figures: Array.from(document.querySelectorAll("figure")).map(f => f.dataset.figure),
    height: document.documentElement.scrollHeight,
    cards: document.querySelectorAll(".card").length,
  };
})()
"""

_SORT = """
(() => {
  const table = document.getElementById("top-customers");
  const header = Array.from(table.tHead.rows[0].cells).find(c => c.textContent === "%s");
  const column = Array.from(header.parentNode.cells).indexOf(header);
  const read = () => Array.from(table.tBodies[0].rows).map(
      r => Number(r.cells[column].dataset.value));
  header.click();
  const first = read();
  header.click();
  const second = read();
  return {first: first, second: second, sort: header.getAttribute("aria-sort")};
})()
"""


@pytest.fixture(scope="module")
def browser_run(
    cdnow_report: ReportRun, chromium_path: str, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    assert cdnow_report.status == 0, cdnow_report.stderr
    profile = tmp_path_factory.mktemp("chromium-profile")
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report-cdnow.png"
    with Chromium(chromium_path, profile) as browser:
        session = browser.open(cdnow_report.html.resolve().as_uri())
        page = browser.evaluate(session, _CHECK_PAGE)
        sort_risk = browser.evaluate(session, _SORT % "Value at risk")
        sort_repeat = browser.evaluate(session, _SORT % "Repeat purchases")
        size = browser.screenshot(session, screenshot)
        log = browser.page_log()
    return {"page": page, "sorts": (sort_risk, sort_repeat), "log": log, "size": size,
            "screenshot": screenshot, "url": cdnow_report.html.resolve().as_uri()}  # fmt: skip


def test_it_renders_every_figure(browser_run: dict) -> None:
    page = browser_run["page"]
    assert page["title"].startswith("Customer value report")
    assert page["images"] == len(FIGURES)
    assert page["drawn"] == len(FIGURES), "an image did not decode"
    assert page["figures"] == list(FIGURES)
    assert page["cards"] == 6
    assert page["height"] > 5000  # the whole report laid out, not an error page


def test_no_console_error_and_no_network_request(browser_run: dict) -> None:
    log = browser_run["log"]
    assert log.errors == []
    assert [kind for kind, _ in log.console] == []  # the page logs nothing at all
    # the only request is the page itself (file://); images are inline data
    outside = [url for url in log.requests if not url.startswith("data:")]
    assert outside == [browser_run["url"]]


def test_the_tables_sort_by_a_clicked_column(browser_run: dict) -> None:
    for result in browser_run["sorts"]:
        first, second = result["first"], result["second"]
        assert len(first) == 50
        assert first == sorted(first)  # first click: ascending
        assert second == sorted(first, reverse=True)  # second click: descending
        assert result["sort"] == "descending"


def test_a_screenshot_is_kept(browser_run: dict) -> None:
    path: Path = browser_run["screenshot"]
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = browser_run["size"]
    assert width >= 1000 and height > 5000
    assert path.stat().st_size > 100_000
