"""``clvkit report`` on CDNOW: the page holds every figure and table it promises, nothing
that reaches the network, and numbers that are the public API's on the same data; the
JSON beside it holds the same numbers."""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ReportRun

import clvkit as ck
from clvkit.cli import main
from clvkit.cli.figures import FIGURES
from clvkit.errors import DataWarning


class _Page(HTMLParser):
    """Tags of interest: every src/href, figures, images, table rows by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.figures: list[str] = []
        self.images: list[str] = []
        self.rows: dict[str, int] = {}
        self._table: str | None = None
        self.scripts = 0
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href", "action", "data", "poster"):
            if a.get(name):
                self.links.append(str(a[name]))
        if tag == "figure":
            self.figures.append(str(a.get("data-figure")))
        if tag == "img":
            self.images.append(str(a.get("src")))
        if tag == "table":
            self._table = a.get("id") or ""
            self.rows[self._table] = 0
        if tag == "tr" and self._table is not None:
            self.rows[self._table] += 1
        if tag == "script":
            self.scripts += 1
        if tag == "link":
            self.links.append(f"<link {a}>")
        if tag == "style":
            self.styles += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None


@pytest.fixture(scope="module")
def page(cdnow_report: ReportRun) -> tuple[str, _Page]:
    assert cdnow_report.status == 0, cdnow_report.stderr
    text = cdnow_report.html.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(text)
    return text, parsed


@pytest.fixture(scope="module")
def numbers(cdnow_report: ReportRun) -> dict:
    return json.loads(cdnow_report.json.read_text(encoding="utf-8"))


def test_the_page_holds_every_figure_as_an_inline_png(page: tuple[str, _Page]) -> None:
    _, parsed = page
    assert parsed.figures == list(FIGURES)
    assert len(parsed.images) == len(FIGURES)
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        assert len(src) > 10_000  # a drawn figure, not an empty one


def test_the_page_needs_nothing_beside_it(page: tuple[str, _Page]) -> None:
    text, parsed = page
    outside = [link for link in parsed.links if not link.startswith(("data:", "#"))]
    assert outside == []
    assert "http://" not in text and "https://" not in text
    assert "default-src 'none'" in text  # the browser itself refuses any request
    assert parsed.scripts == 1 and parsed.styles == 1


def test_the_page_holds_the_tables(page: tuple[str, _Page], numbers: dict) -> None:
    text, parsed = page
    # header row + one row per lifecycle stage / segment / customer / model / period
    assert parsed.rows["value-by-lifecycle"] == 1 + 5
    assert parsed.rows["value-by-segment"] == 1 + len(numbers["value"]["by_segment"])
    assert parsed.rows["top-customers"] == 1 + 50
    assert parsed.rows["scorecard"] == 1 + 3
    assert parsed.rows["retention-table"] == 1 + 18  # months 1997-01 to 1998-06
    assert 'class="sortable" id="top-customers"' in text
    for title in ("At a glance", "The data", "Actual and potential value", "Value at risk",
                  "Retention", "How good is the model?", "The fitted models"):  # fmt: skip
        assert f">{title}</h2>" in text
    assert "repeat an earlier row exactly" in text  # the log's DataWarning, as a note


def test_the_numbers_are_the_public_apis(numbers: dict, cdnow_log: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        rfm = ck.rfm_summary(cdnow_log, monetary="amount", time_unit="W")
        cal = ck.calibration_holdout(
            cdnow_log, calibration_end="1997-09-30", monetary="amount", time_unit="W"
        )
    fits = {
        cls.display_name: cls().fit(cal) for cls in (ck.BetaGeo, ck.ModifiedBetaGeo, ck.ParetoNBD)
    }
    scorecard = ck.compare_models(fits, cal)
    chosen = str(scorecard["bic"].astype(float).idxmin())
    assert numbers["models"]["chosen"] == chosen
    got = pd.DataFrame(numbers["models"]["scorecard"]).set_index("name")
    np.testing.assert_allclose(got["bic"], scorecard["bic"].astype(float), rtol=1e-12)
    np.testing.assert_allclose(got["mae"], scorecard["mae"].astype(float), rtol=1e-12)

    cls = type(fits[chosen])
    model = ck.CLVModel(purchase_model=cls()).fit(rfm)
    clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.3, interval=0.9)
    seg = ck.segment_summary(clv, by="lifecycle", interval=0.9, model=model, customers=rfm)
    stages = pd.DataFrame(numbers["value"]["by_lifecycle_stage"]).set_index("lifecycle_stage")
    for column in ("n_customers", "actual_clv", "potential_clv_lower", "value_at_risk_upper"):
        np.testing.assert_allclose(stages[column], seg[column], rtol=1e-10)
    totals = numbers["value"]["totals"]
    assert totals["actual_clv"] == pytest.approx(clv["actual_clv"].sum(), rel=1e-10)
    top = numbers["value"]["top_value_at_risk"]
    assert [row["customer_id"] for row in top] == clv.nlargest(50, "value_at_risk").index.tolist()
    assert numbers["data"] | {} == numbers["data"]
    assert numbers["data"]["customers"] == len(rfm) == 2357
    assert numbers["data"]["transactions"] == len(cdnow_log)
    retention = ck.retention_table(cdnow_log, period="M", monetary="amount")
    table = pd.DataFrame(numbers["retention"]["table"])
    np.testing.assert_allclose(
        table["retention_rate"].astype(float), retention["retention_rate"], equal_nan=True
    )


def test_the_json_has_no_nan_and_parses_strictly(cdnow_report: ReportRun) -> None:
    text = cdnow_report.json.read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))


def test_report_sets_aside_zero_spend_buyers_and_reads_a_segment_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = ck.datasets.simulate_transactions(400, seed=7).drop(columns="alive")
    first = log.groupby("customer_id")["date"].transform("min")
    zero = log["customer_id"].isin(log["customer_id"].value_counts().index[:2])
    log.loc[zero & (log["date"] > first), "amount"] = 0.0  # two buyers whose repeats are free
    log["channel"] = np.where(log["customer_id"] % 2 == 0, "web", "shop")
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    out = tmp_path / "r.html"
    status = main(["report", str(path), "--segment", "channel", "--model", "bgnbd", "--top", "10",
                   "-q", "-o", str(out)])  # fmt: skip
    _, err = capsys.readouterr()
    assert status == 0, err
    numbers = json.loads(out.with_suffix(".json").read_text())
    assert len(numbers["data"]["customers_set_aside"]) == 2
    assert numbers["models"]["chosen"] == "BG/NBD"
    assert numbers["models"]["chosen_because"] == "chosen with --model"
    assert {row["channel"] for row in numbers["value"]["by_segment"]} == {"web", "shop"}
    assert len(numbers["value"]["top_value_at_risk"]) == 10
    text = out.read_text()
    assert "left out of the value figures" in text
    assert re.search(r">Per channel</h3>", text)
