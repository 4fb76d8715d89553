"""Per-occasion summaries for discrete-time models (BG/BB): a log becomes occasions.

A business with fixed purchase occasions (a yearly donation drive, an annual event, a
quarterly catalogue) is summarised by counting occasions, not time: every calendar
``occasion`` period (year, quarter, month, week or day) is one occasion, and several
transactions of a customer in one occasion count once. A customer's first purchase is
their occasion 0; with the occasions numbered from there,

- ``frequency``: occasions with a purchase among those observed after the first;
- ``recency``: the number of the last of them (0 without one);
- ``T``: occasions observed after the first, up to the one holding the end of
  observation (or of calibration);

all whole numbers with ``frequency <= recency <= T``, what :class:`clvkit.BetaGeoBeta`
fits. With ``calibration_end`` the occasions after it are the holdout:
``frequency_holdout`` counts those with a purchase and ``duration_holdout`` the
occasions, the columns :func:`clvkit.evaluate` scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Literal

import numpy as np
import pandas as pd

from clvkit._time import check_grain
from clvkit.data.checks import DEFAULT_GAP_MULTIPLE
from clvkit.data.dates import parse_instant
from clvkit.data.retention import period_first_day, period_ordinal
from clvkit.data.transactions import _build, format_period, period_start
from clvkit.errors import DataWarning, InputError, UnitError

__all__ = ["occasion_summary"]

_OCCASIONS = ("D", "W", "M", "Q", "Y")


def occasion_summary(
    transactions: pd.DataFrame,
    *,
    occasion: str = "Y",
    calibration_end: object = None,
    observation_end: object = None,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    monetary: Hashable | None = None,
    datetime_format: str | None = None,
    duplicates: Literal["warn", "drop", "keep"] = "warn",
    gap_multiple: float | None = DEFAULT_GAP_MULTIPLE,
) -> pd.DataFrame:
    """One row per customer counted in purchase occasions, optionally with a holdout.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        One row per transaction; never modified. Checked as by :func:`clvkit.rfm_summary`.
    occasion : {"D", "W", "M", "Q", "Y"}, default "Y"
        The calendar period that makes one occasion (weeks start on Monday).
    calibration_end : date-like, optional
        Last moment of the calibration period; its occasion is the last calibration
        occasion. Without it, the whole log is summarised. Any date type
        :func:`clvkit.rfm_summary` accepts.
    observation_end : date-like or None, default None
        End of observation; its occasion is the last one observed. ``None``: the last
        transaction's. An occasion cut short by it still counts as observed (a
        :class:`~clvkit.errors.DataWarning` says so).
    customer_id, datetime, monetary, datetime_format, duplicates, gap_multiple
        As in :func:`clvkit.rfm_summary`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (customers whose first purchase is by the end of
        calibration): ``frequency``, ``recency``, ``T`` (whole numbers of occasions), with
        ``monetary``: ``monetary_value`` (mean spend of the repeat occasions, 0 without one)
        and ``historical_value`` (total spend); with ``calibration_end``:
        ``frequency_holdout`` and ``duration_holdout`` (occasions). ``attrs`` holds
        ``time_unit`` and ``grain`` (both the occasion), ``observation_end`` and, with a
        holdout, ``calibration_end``.

    Raises
    ------
    clvkit.errors.UnitError
        If ``occasion`` is not one of the calendar periods above.
    clvkit.errors.InputError
        If the log breaks a rule, or ``calibration_end`` is not in an earlier occasion
        than ``observation_end``.

    Examples
    --------
    >>> import pandas as pd, clvkit as ck
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2],
    ...                    "date": pd.to_datetime(["2020-03-01", "2020-06-01", "2022-05-01",
    ...                                            "2021-02-01", "2023-09-01"])})
    >>> ck.occasion_summary(tx, occasion="Y", observation_end="2023-12-31")
                 frequency  recency    T
    customer_id
    1                  1.0      2.0  3.0
    2                  1.0      2.0  2.0
    """
    if not isinstance(occasion, str) or occasion not in _OCCASIONS:
        raise UnitError(
            f"The 'occasion' argument must be one of {list(_OCCASIONS)} (one purchase occasion "
            f"per calendar period). Got {occasion!r} instead."
        )
    check_grain(occasion)
    bought = _build(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain=occasion,
        observation_end=observation_end,
        datetime_format=datetime_format,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
        caller="occasion_summary",
        stacklevel=3,
    )
    number = period_ordinal(bought.period_start.astype("datetime64[D]"), occasion)
    end_day = np.array([bought.observation_end.astype("datetime64[D]")])
    end = int(period_ordinal(end_day, occasion)[0])
    last = end
    if calibration_end is not None:
        wall = parse_instant(calibration_end, "calibration_end", datetime_format, bought.timezone)
        cal_start = period_start(np.array([wall]), occasion)[0]
        last = int(period_ordinal(np.array([cal_start.astype("datetime64[D]")]), occasion)[0])
        if last >= end:
            raise InputError(
                f"The 'calibration_end' argument ({calibration_end!r}, occasion "
                f"{format_period(cal_start, occasion)}) must fall in an earlier occasion "
                f"than observation_end ({format_period(bought.observation_end, occasion)}); "
                "the holdout would have no occasion."
            )
    first = number[bought.customer_start]
    included = first <= last
    if not included.any():
        raise InputError(
            "No customer made a first purchase by the end of calibration "
            f"({format_period(bought.period_start[bought.customer_start].min(), occasion)} is "
            "the first purchase in the log)."
        )
    n = int(np.count_nonzero(included))
    code = np.cumsum(included) - 1
    keep = included[bought.customer]
    customer = code[bought.customer[keep]]
    occ = number[keep] - first[bought.customer[keep]]  # occasion numbers from each first
    in_cal = number[keep] <= last
    repeat = in_cal & (occ > 0)
    frequency = np.bincount(customer[repeat], minlength=n).astype(np.float64)
    recency = np.zeros(n)
    np.maximum.at(recency, customer[repeat], occ[repeat].astype(np.float64))
    columns: dict[str, np.ndarray] = {
        "frequency": frequency,
        "recency": recency,
        "T": (last - first[included]).astype(np.float64),
    }
    if bought.amount is not None:
        amount = bought.amount[keep]
        spent = np.bincount(customer[repeat], weights=amount[repeat], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns["monetary_value"] = np.where(frequency > 0, spent / frequency, 0.0)
        columns["historical_value"] = np.bincount(
            customer[in_cal], weights=amount[in_cal], minlength=n
        )
    if calibration_end is not None:
        columns["frequency_holdout"] = np.bincount(customer[~in_cal], minlength=n).astype(
            np.float64
        )
        columns["duration_holdout"] = np.full(n, float(end - last))
    _warn_if_cut_short(end, observation_end, occasion, datetime_format, bought.timezone)
    out = pd.DataFrame(columns, index=bought.customer_ids[included])
    out.attrs.update(
        time_unit=occasion,
        grain=occasion,
        observation_end=format_period(bought.observation_end, occasion),
        timezone=bought.timezone,
    )
    if calibration_end is not None:
        out.attrs["calibration_end"] = format_period(cal_start, occasion)
    return out


def _warn_if_cut_short(
    end_number: int, given: object, occasion: str, datetime_format: str | None, timezone: str | None
) -> None:
    """Warn when an explicit observation end falls before the last day of its occasion."""
    if given is None or occasion == "D":
        return
    wall = parse_instant(given, "observation_end", datetime_format, timezone)
    last_day = period_first_day(np.array([end_number + 1]), occasion)[0] - np.timedelta64(1, "D")
    if np.datetime64(wall, "D") < last_day:
        warnings.warn(
            f"observation_end={given!r} falls before the last day of its occasion "
            f"({pd.Timestamp(last_day).date().isoformat()}); that occasion counts as observed "
            "although it was cut short, which understates its purchases. End observation on "
            "the last day of an occasion.",
            DataWarning,
            stacklevel=3,
        )
