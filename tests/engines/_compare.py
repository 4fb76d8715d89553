"""How engine results are compared with the pandas path's."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: columns that are sums of amounts: the engines add in their own order, so these agree to
#: rounding; every other column must be identical
MONEY = {"monetary_value", "historical_value", "monetary_value_holdout", "revenue"}


def assert_same(expected: pd.DataFrame, got: pd.DataFrame, *, money_rtol: float = 1e-12) -> None:
    """Same index, columns, dtypes and attrs; identical values except sums of money.

    Sums of money agree to ``money_rtol``; ``monetary_value`` (the engines take the first
    purchase off the customer's total) to ``money_rtol`` of the customer's total spend.
    """
    assert got.attrs == expected.attrs
    pd.testing.assert_index_equal(got.index, expected.index, exact="equiv")
    pd.testing.assert_index_equal(got.columns, expected.columns)
    assert got.dtypes.tolist() == expected.dtypes.tolist()
    for column in expected.columns:
        a, b = expected[column].to_numpy(), got[column].to_numpy()
        if column == "monetary_value" and "historical_value" in expected:
            scale = expected["historical_value"].to_numpy()
            assert np.all(np.abs(b - a) <= money_rtol * scale), column
        elif column in MONEY or expected.attrs.get("metric") in ("revenue", "clv"):
            np.testing.assert_allclose(b, a, rtol=money_rtol, atol=0, err_msg=str(column))
        else:
            np.testing.assert_array_equal(b, a, err_msg=str(column))
