"""Holdout scoring: how well a model fitted on a calibration period predicts the next one.

A model is fitted on the calibration columns of :func:`clvkit.calibration_holdout`
(``frequency``, ``recency``, ``T``); for each customer it then predicts

- the expected number of purchases in the holdout period, the purchase model's
  ``expected_purchases`` over ``duration_holdout``;
- the probability of at least one purchase in it, its ``probability_purchase`` over the
  same window,

and these are compared with what each customer did (``frequency_holdout``).
:func:`holdout_predictions` gives the per-customer predictions, :func:`evaluate` the
scores, one row per model so that several models or settings compare by number.
:func:`repeat_purchases_over_time` follows a whole cohort over calendar time, actual
against expected repeat purchases, across the calibration and the holdout periods.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import pandas as pd

from clvkit._time import DAYS_PER_UNIT
from clvkit._validation import (
    check_columns,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
    renamed_argument,
)
from clvkit.data.transactions import _parse_instant, purchases
from clvkit.errors import InputError, UnitError
from clvkit.models import PurchaseModel, purchase_model_of

__all__ = [
    "EVALUATION_COLUMNS",
    "evaluate",
    "holdout_predictions",
    "repeat_purchases_over_time",
]

#: The columns of :func:`evaluate`, in order.
EVALUATION_COLUMNS: tuple[str, ...] = (
    "n_customers",
    "duration_holdout",
    "actual_purchases",
    "predicted_purchases",
    "aggregate_error_pct",
    "mae",
    "rmse",
    "correlation",
    "actual_share_buying",
    "predicted_share_buying",
    "brier",
    "brier_base_rate",
    "brier_skill",
)

_NEEDED = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")


def holdout_predictions(
    model: object, calibration_holdout: pd.DataFrame, *, time_unit: str | None = None
) -> pd.DataFrame:
    """Each customer's holdout outcome beside the model's predictions for it.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on the calibration columns (a CLVModel's purchase model is used).
    calibration_holdout : pandas.DataFrame, shape (n_customers, ...)
        From :func:`clvkit.calibration_holdout`: columns ``frequency``, ``recency``,
        ``T``, ``frequency_holdout`` and ``duration_holdout`` (in the model's time unit).
        Never modified.
    time_unit : str, optional
        The unit of ``recency``, ``T`` and ``duration_holdout`` when the frame does not
        record it in ``attrs["time_unit"]`` (a CSV or Parquet round trip, ``merge`` or
        ``concat`` loses it); a frame in no known unit, or in another unit than the
        model's, is refused.

    Returns
    -------
    pandas.DataFrame, shape (n_customers, 4)
        Indexed like ``calibration_holdout``. Columns:

        - ``actual_purchases``: ``frequency_holdout``;
        - ``predicted_purchases``: expected purchases over the customer's
          ``duration_holdout``, given the calibration history;
        - ``bought``: 1.0 when the customer bought at least once in the holdout, else 0.0;
        - ``p_buy``: the model's probability of at least one purchase in the holdout.

    Raises
    ------
    clvkit.errors.InputError
        If ``model`` is not a fitted purchase model or CLVModel, a column is missing or breaks
        its rule (``frequency_holdout`` a whole number >= 0, ``duration_holdout`` > 0).
    clvkit.errors.UnitError
        If the frame's time unit differs from the model's or cannot be established.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W",
    ...                              duplicates="keep")  # real repeated purchases
    >>> table = ck.holdout_predictions(ck.BetaGeo().fit(cal), cal)
    >>> list(table.columns)
    ['actual_purchases', 'predicted_purchases', 'bought', 'p_buy']
    """
    purchase = purchase_model_of(model, "holdout_predictions")
    frame = check_frame(calibration_holdout, "calibration_holdout")
    check_columns(frame, _NEEDED, "calibration_holdout")
    check_not_empty(len(frame), "calibration_holdout")
    ids = frame.index
    actual = numeric_column(frame["frequency_holdout"], "Column 'frequency_holdout'", ids)
    check_rule(actual < 0, "Column 'frequency_holdout'", "must be >= 0", ids)
    check_rule(
        actual != np.floor(actual),
        "Column 'frequency_holdout'",
        "must be a whole number (purchases in the holdout)",
        ids,
    )
    duration = numeric_column(frame["duration_holdout"], "Column 'duration_holdout'", ids)
    check_rule(duration <= 0, "Column 'duration_holdout'", "must be > 0", ids)

    predicted = np.empty(len(frame))
    p_buy = np.empty(len(frame))
    history = frame[["frequency", "recency", "T"]]
    for window in np.unique(duration):
        rows = duration == window
        part = history if rows.all() else history.loc[rows]
        part.attrs = dict(frame.attrs)
        predicted[rows] = np.asarray(
            purchase.expected_purchases(part, float(window), time_unit=time_unit)
        )
        p_buy[rows] = np.asarray(
            purchase.probability_purchase(part, float(window), time_unit=time_unit)
        )
    return pd.DataFrame(
        {
            "actual_purchases": actual,
            "predicted_purchases": predicted,
            "bought": (actual > 0).astype(np.float64),
            "p_buy": p_buy,
        },
        index=frame.index,
    )


def evaluate(
    model: object,
    calibration_holdout: pd.DataFrame,
    *,
    name: str | None = None,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Score a model's holdout predictions: errors per customer, in total, and calibration.

    With ``y_i`` the purchases of customer ``i`` in the holdout, ``yhat_i`` the model's
    expected purchases over the same window given the calibration history, ``b_i`` 1 if
    the customer bought at all in the holdout and ``p_i`` the model's probability of that:

    - ``mae = mean |yhat_i - y_i|`` and ``rmse = sqrt(mean (yhat_i - y_i)^2)``;
    - ``aggregate_error_pct = 100 (sum yhat_i - sum y_i) / sum y_i``: how far the
      predicted total is from the actual one (positive: over-prediction);
    - ``correlation``: Pearson correlation of ``yhat`` and ``y`` across customers;
    - ``brier = mean (p_i - b_i)^2`` (Brier 1950), the calibration and sharpness of
      the probability of buying at all; ``brier_base_rate`` is the score of the constant
      forecast ``mean(b)`` (which knows the holdout rate) and ``brier_skill =
      1 - brier / brier_base_rate`` (> 0: better than that constant).

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on the calibration columns of ``calibration_holdout``.
    calibration_holdout : pandas.DataFrame
        From :func:`clvkit.calibration_holdout`; see :func:`holdout_predictions`.
    name : str, optional
        Label of the result's row; the model's class name by default.
    time_unit : str, optional
        The unit of a frame that does not record it; see :func:`holdout_predictions`.

    Returns
    -------
    pandas.DataFrame, shape (1, 13)
        One row, columns :data:`EVALUATION_COLUMNS`: ``n_customers``,
        ``duration_holdout`` (model time units; the mean when customers differ),
        ``actual_purchases`` and ``predicted_purchases`` (totals), ``aggregate_error_pct``
        (percent), ``mae`` and ``rmse`` (purchases per customer), ``correlation``,
        ``actual_share_buying`` and ``predicted_share_buying`` (shares of customers
        buying in the holdout, observed and expected), ``brier``, ``brier_base_rate``,
        ``brier_skill``. Concatenate the rows of several models with
        :func:`pandas.concat` to compare them.

    Raises
    ------
    clvkit.errors.InputError, clvkit.errors.UnitError
        As :func:`holdout_predictions`.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W",
    ...                              duplicates="keep")  # real repeated purchases
    >>> bg = ck.BetaGeo().fit(cal)
    >>> scores = ck.evaluate(bg, cal)
    >>> scores[["mae", "rmse", "brier"]].round(3).to_dict("records")
    [{'mae': 0.785, 'rmse': 1.608, 'brier': 0.161}]
    """
    if name is not None and not isinstance(name, str):
        raise InputError(f"The 'name' argument of evaluate must be a string. Got {name!r}.")
    table = holdout_predictions(model, calibration_holdout, time_unit=time_unit)
    y = table["actual_purchases"].to_numpy()
    yhat = table["predicted_purchases"].to_numpy()
    bought = table["bought"].to_numpy()
    p = table["p_buy"].to_numpy()
    error = yhat - y
    total = float(y.sum())
    base = float(bought.mean())
    brier = float(np.mean((p - bought) ** 2))
    brier_base = float(np.mean((base - bought) ** 2))
    duration = calibration_holdout["duration_holdout"].to_numpy(dtype=np.float64)
    row = {
        "n_customers": len(table),
        "duration_holdout": float(duration.mean()),
        "actual_purchases": total,
        "predicted_purchases": float(yhat.sum()),
        "aggregate_error_pct": 100.0 * float(error.sum()) / total if total > 0 else math.nan,
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "correlation": _correlation(yhat, y),
        "actual_share_buying": base,
        "predicted_share_buying": float(p.mean()),
        "brier": brier,
        "brier_base_rate": brier_base,
        "brier_skill": 1.0 - brier / brier_base if brier_base > 0 else math.nan,
    }
    label = type(model).__name__ if name is None else name
    return pd.DataFrame([row], index=pd.Index([label], name="model"))[list(EVALUATION_COLUMNS)]


def _correlation(u: np.ndarray, v: np.ndarray) -> float:
    """Pearson correlation; NaN when either vector is constant."""
    du, dv = u - u.mean(), v - v.mean()
    scale = math.sqrt(float(du @ du) * float(dv @ dv))
    return float(du @ dv) / scale if scale > 0 else math.nan


def repeat_purchases_over_time(
    model: object,
    transactions: pd.DataFrame,
    *,
    calibration_end: object,
    observation_end: object = None,
    bucket: str | None = None,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    datetime_format: str | None = None,
    period: str | None = None,
) -> pd.DataFrame:
    """Actual and expected repeat purchases of the calibration cohort, bucket by bucket.

    The cohort is every customer whose first purchase is on or before ``calibration_end``
    (the customers the model was fitted on). Its actual repeat purchases (each customer's
    purchases after the first; daily grain) are counted in consecutive buckets of one
    fixed length (``bucket``) from the first acquisition day to ``observation_end``. The
    expected count by the end of each bucket adds each customer's ``E[X(age)]`` (the
    purchase model's ``expected_purchases_new_customer``; for BG/NBD Fader, Hardie & Lee
    2005, eq. 9), ``age`` running from the customer's first purchase to the last day of
    the bucket, in the model's time unit, on the same day clock as :func:`clvkit.rfm_summary` (a
    purchase on the last day counts). Over the calibration period this is an in-sample
    fit; after ``calibration_end`` it is a forecast.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on the cohort's calibration summary (daily grain), with a time unit.
    transactions : pandas.DataFrame
        The transaction log, calibration and holdout periods together. Never modified.
    calibration_end : str or datetime-like
        Last day of the calibration period.
    observation_end : str, datetime-like or None, default None
        Last day of the holdout period; the last transaction's day when None. Later
        transactions are excluded with a :class:`~clvkit.errors.DataWarning`.
    bucket : {"D", "W", "M", "Q", "Y"}, default "W"
        Fixed length of each bucket (calendar-true: a month is 365.2425/12 days), counted
        from the first acquisition day, not calendar months; the last bucket may be
        shorter.
    customer_id, datetime, datetime_format
        As in :func:`clvkit.rfm_summary`.
    period : str, optional
        Deprecated name of ``bucket``.

    Returns
    -------
    pandas.DataFrame, shape (n_buckets, 6)
        Indexed by ``period_end`` (the last day of each bucket). Columns:
        ``actual`` and ``expected`` (repeat purchases in the bucket),
        ``actual_cumulative`` and ``expected_cumulative`` (since the first acquisition),
        ``days`` (length of the bucket in days) and ``holdout`` (True for buckets that
        end after ``calibration_end``). ``attrs`` holds ``calibration_end``,
        ``observation_end``, ``bucket`` and ``time_unit``.

    Raises
    ------
    clvkit.errors.InputError
        If ``model`` is not a fitted purchase model or CLVModel, the log breaks a rule, the
        CLVModel was fitted on another grain than days, or ``calibration_end`` is not
        before ``observation_end``.
    clvkit.errors.UnitError
        If ``bucket`` is unknown or the model has no time unit.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W",
    ...                              duplicates="keep")  # real repeated purchases
    >>> table = repeat_purchases_over_time(ck.BetaGeo().fit(cal), tx,
    ...     calibration_end="1997-09-30", observation_end="1998-06-30", bucket="M")
    >>> list(table.columns)[:4]
    ['actual', 'expected', 'actual_cumulative', 'expected_cumulative']
    """
    caller = "repeat_purchases_over_time"
    bucket = renamed_argument(caller, "period", period, "bucket", bucket)
    bucket = "W" if bucket is None else bucket
    purchase = purchase_model_of(model, caller)
    if purchase.time_unit_ is None:
        raise UnitError(
            "repeat_purchases_over_time needs a model with a time unit to convert days to "
            "its clock; fit it on an rfm_summary frame or with time_unit=..."
        )
    grain = getattr(model, "grain_", None)
    if grain not in (None, "D"):
        raise InputError(
            "repeat_purchases_over_time counts purchases on the daily grain, but the "
            f"CLVModel was fitted on grain {grain!r}."
        )
    if not isinstance(bucket, str) or bucket not in DAYS_PER_UNIT or bucket == "h":
        raise UnitError(
            "The 'bucket' argument of repeat_purchases_over_time must be one of "
            f"['D', 'W', 'M', 'Q', 'Y']. Got {bucket!r} instead."
        )
    if calibration_end is None:
        raise InputError("The 'calibration_end' argument is required (e.g. '1997-09-30').")
    bought = purchases(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        grain="D",
        observation_end=observation_end,
        datetime_format=datetime_format,
    )
    cal_end = _parse_instant(
        calibration_end, "calibration_end", datetime_format, bought.timezone
    ).astype("datetime64[D]")
    end = bought.observation_end.astype("datetime64[D]")
    if cal_end >= end:
        raise InputError(
            f"The 'calibration_end' argument ({calibration_end!r}) must be before the end "
            f"of observation ({pd.Timestamp(end).date().isoformat()})."
        )
    day = bought.period_start.astype("datetime64[D]")
    first_day = day[bought.customer_start]
    in_cohort = first_day <= cal_end
    if not in_cohort.any():
        raise InputError(
            f"No customer made a first purchase on or before calibration_end={calibration_end!r}."
        )
    origin = first_day[in_cohort].min()
    acquired = ((first_day[in_cohort] - origin) / np.timedelta64(1, "D")).astype(np.float64)
    repeat = np.ones(day.size, dtype=bool)
    repeat[bought.customer_start] = False
    repeat &= in_cohort[bought.customer]
    repeat_day = ((day[repeat] - origin) / np.timedelta64(1, "D")).astype(np.float64)

    length = DAYS_PER_UNIT[bucket]
    last_day = float((end - origin) / np.timedelta64(1, "D"))
    n_periods = math.floor(last_day / length) + 1
    # a period covers days [k L, (k+1) L); its last whole day is ceil((k+1) L) - 1
    ends = np.minimum(np.ceil(np.arange(1, n_periods + 1) * length) - 1.0, last_day)
    ends = np.unique(ends)
    starts = np.concatenate([[0.0], ends[:-1] + 1.0])
    actual = np.bincount(np.searchsorted(ends, repeat_day), minlength=ends.size)[: ends.size]
    days_unique, weights = np.unique(acquired, return_counts=True)
    unit_days = DAYS_PER_UNIT[purchase.time_unit_]
    expected_cum = cohort_expected_repeat_purchases(
        purchase, days_unique / unit_days, ends / unit_days, weights.astype(np.float64)
    )
    period_end = origin + ends.astype(np.int64).astype("timedelta64[D]")
    out = pd.DataFrame(
        {
            "actual": actual.astype(np.float64),
            "expected": np.diff(expected_cum, prepend=0.0),
            "actual_cumulative": np.cumsum(actual).astype(np.float64),
            "expected_cumulative": expected_cum,
            "days": ends - starts + 1.0,
            "holdout": period_end > cal_end,
        },
        index=pd.DatetimeIndex(period_end, name="period_end"),
    )
    out.attrs.update(
        calibration_end=pd.Timestamp(cal_end).date().isoformat(),
        observation_end=pd.Timestamp(end).date().isoformat(),
        bucket=bucket,
        time_unit=purchase.time_unit_,
    )
    return out


def cohort_expected_repeat_purchases(
    model: PurchaseModel, acquired: np.ndarray, times: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Expected cumulative repeat purchases of a cohort by each of ``times``.

    ``sum_i w_i E[X(max(times_k - acquired_i, 0))]`` with ``E[X(t)]`` the model's expected
    repeat purchases of a new customer; customers not yet acquired contribute 0.

    Parameters
    ----------
    model : purchase model
    acquired : (m,) array
        Acquisition times (model time units on a common clock), e.g. the distinct ones.
    times : (k,) array
        Calendar times on the same clock.
    weights : (m,) array
        Customers acquired at each of ``acquired``.

    Returns
    -------
    (k,) array
    """
    ages = np.maximum(times[:, None] - acquired[None, :], 0.0)
    distinct, inverse = np.unique(ages, return_inverse=True)
    curve = np.asarray(model.expected_purchases_new_customer(distinct))
    return np.asarray(curve[inverse.reshape(ages.shape)] @ weights)
