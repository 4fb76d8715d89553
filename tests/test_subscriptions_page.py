"""The Subscriptions page runs: every ``>>>`` example of ``docs/subscriptions.md`` is
executed and its printed output compared (doctest), so the numbers on the page are the
numbers the code computes."""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

import pandas as pd

PAGE = Path(__file__).resolve().parents[1] / "docs" / "subscriptions.md"


def test_the_subscriptions_page_computes_what_it_shows() -> None:
    with (
        pd.option_context("display.width", 120, "display.max_columns", 20),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("error")
        result = doctest.testfile(
            str(PAGE),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            raise_on_error=False,
            verbose=False,
        )
    assert result.attempted >= 20
    assert result.failed == 0, f"{result.failed} example(s) of {PAGE.name} disagree"
