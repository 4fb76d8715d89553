"""Quartile RFM scores and named segments, the marketer's classic view of a customer base.

Each customer gets three scores from 1 (worst) to 4 (best):

- ``r_score``: recency in the marketer's sense, the time since the last purchase
  (``T - recency``); the shorter, the higher the score;
- ``f_score``: the number of repeat purchases (``frequency``);
- ``m_score``: the spend column chosen (``historical_value`` by default: the total
  value so far, which one-time buyers have too).

A score is ``1 +`` the number of the column's quartiles (25, 50 and 75 %) that the value
lies strictly above (strictly below, for the time since the last purchase). Customers
with equal values share a score, so a skewed column (most customers without a repeat
purchase) gives uneven groups rather than arbitrary splits of ties.

Segments follow recency and frequency, the first rule that matches wins:

================ ======================== ===============================================
segment          rule                     reading
================ ======================== ===============================================
champions        r = 4 and f = 4          bought recently and often
loyal            r >= 3 and f >= 3        regular, recent buyers
promising        r >= 3 and f <= 2        recent, still few purchases
at risk          r <= 2 and f >= 3        used to buy often, silent lately
hibernating      r <= 2 and f <= 2        few purchases, long ago
================ ======================== ===============================================

Unlike a purchase model these scores know nothing of each customer's own rhythm; they
are a descriptive view, handy as ``by=`` of :func:`clvkit.segment_summary`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clvkit._validation import (
    check_columns,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
)

__all__ = ["RFM_SEGMENTS", "rfm_segments"]

#: The named segments, best first (the categories of the ``segment`` column).
RFM_SEGMENTS: tuple[str, ...] = ("champions", "loyal", "promising", "at risk", "hibernating")


def _score(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    cuts = np.quantile(values, [0.25, 0.5, 0.75])
    if higher_is_better:
        above = np.searchsorted(cuts, values, side="left")  # quartiles strictly below
        return (1 + above).astype(np.int8)
    below = 3 - np.searchsorted(cuts, values, side="right")  # quartiles strictly above
    return (1 + below).astype(np.int8)


def rfm_segments(customers: pd.DataFrame, *, monetary: str = "historical_value") -> pd.DataFrame:
    """Quartile recency, frequency and monetary scores with a named segment per customer.

    Parameters
    ----------
    customers : pandas.DataFrame
        From :func:`clvkit.rfm_summary`: columns ``frequency``, ``recency``, ``T`` and
        the ``monetary`` column.
    monetary : str, default "historical_value"
        The spend column scored (``"monetary_value"`` for the mean repeat spend).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``customers``: ``r_score``, ``f_score``, ``m_score`` (1-4),
        ``rfm_score`` (the three digits as text, e.g. ``"431"``) and ``segment``
        (ordered categorical of :data:`RFM_SEGMENTS`).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = tx[tx["date"] <= "1997-09-30"]
    >>> rfm = ck.rfm_summary(cal, monetary="amount", time_unit="W",
    ...                      observation_end="1997-09-30",
    ...                      duplicates="keep")  # dates without times: real repeats
    >>> seg = ck.rfm_segments(rfm)
    >>> list(seg.columns)
    ['r_score', 'f_score', 'm_score', 'rfm_score', 'segment']
    >>> seg["segment"].value_counts().index[0]
    'hibernating'
    """
    frame = check_frame(customers, "customers")
    check_columns(frame, ["frequency", "recency", "T", monetary], "customers")
    check_not_empty(len(frame), "customers")
    ids = frame.index
    x = numeric_column(frame["frequency"], "Column 'frequency'", ids)
    t_x = numeric_column(frame["recency"], "Column 'recency'", ids)
    T = numeric_column(frame["T"], "Column 'T'", ids)
    m = numeric_column(frame[monetary], f"Column {monetary!r}", ids)
    check_rule(x < 0, "Column 'frequency'", "must be >= 0", ids)
    check_rule((t_x < 0) | (t_x > T), "Column 'recency'", "must be in [0, T]", ids)
    check_rule(m < 0, f"Column {monetary!r}", "must be >= 0", ids)
    r = _score(T - t_x, higher_is_better=False)
    f = _score(x, higher_is_better=True)
    s = _score(m, higher_is_better=True)
    code = np.select(
        [(r == 4) & (f == 4), (r >= 3) & (f >= 3), r >= 3, f >= 3],
        [0, 1, 2, 3],
        default=4,
    )
    return pd.DataFrame(
        {
            "r_score": r,
            "f_score": f,
            "m_score": s,
            "rfm_score": [f"{a}{b}{c}" for a, b, c in zip(r, f, s, strict=True)],
            "segment": pd.Categorical.from_codes(
                code, dtype=pd.CategoricalDtype(list(RFM_SEGMENTS), ordered=True)
            ),
        },
        index=ids,
    )
