"""Which model should I use on my data? One scorecard over several fitted models.

:func:`compare_models` puts several purchase models, each fitted on the calibration part
of one :func:`clvkit.calibration_holdout` frame, side by side: how well each explains
the calibration data (log-likelihood, AIC, BIC) and how well each predicts the holdout
period it never saw (errors per customer and in total, calibration by decile of
predicted purchases, ranking quality, the probability of buying at all).
:func:`holdout_deciles` gives the decile table behind the calibration column and the
plot :func:`clvkit.plotting.plot_decile_calibration`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from clvkit._validation import check_columns, check_frame
from clvkit.errors import InputError
from clvkit.models import purchase_model_of
from clvkit.value.evaluate import holdout_predictions

__all__ = ["COMPARISON_COLUMNS", "compare_models", "holdout_deciles", "normalized_gini"]

#: The columns of :func:`compare_models`, in order.
COMPARISON_COLUMNS: tuple[str, ...] = (
    "model",
    "n_params",
    "log_likelihood",
    "aic",
    "bic",
    "mae",
    "rmse",
    "actual_purchases",
    "predicted_purchases",
    "aggregate_error_pct",
    "decile_calibration_error",
    "gini",
    "brier",
)


def holdout_deciles(
    model: object,
    calibration_holdout: pd.DataFrame,
    *,
    n_groups: int = 10,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Mean predicted and actual holdout purchases by group of predicted purchases.

    Customers are ranked by the purchases the model predicts for the holdout period and
    cut into ``n_groups`` groups of (nearly) equal size, lowest prediction first; ties
    are broken by the customers' order, so equal predictions may straddle two groups.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on the calibration columns of ``calibration_holdout``.
    calibration_holdout : pandas.DataFrame
        From :func:`clvkit.calibration_holdout`.
    n_groups : int, default 10
        Number of groups (10: deciles).
    time_unit : str, optional
        The unit of a frame that does not record it; see
        :func:`clvkit.holdout_predictions`.

    Returns
    -------
    pandas.DataFrame, shape (n_groups, 3)
        Index ``group`` (1 = lowest predictions); columns ``customers``, ``predicted``
        and ``actual`` (mean holdout purchases per customer in the group).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> table = ck.holdout_deciles(ck.BetaGeo().fit(cal), cal)
    >>> table.shape
    (10, 3)
    """
    if isinstance(n_groups, bool) or not isinstance(n_groups, int) or n_groups < 2:
        raise InputError(f"The 'n_groups' argument must be an integer >= 2. Got {n_groups!r}.")
    table = holdout_predictions(model, calibration_holdout, time_unit=time_unit)
    n = len(table)
    if n < n_groups:
        raise InputError(f"holdout_deciles needs at least {n_groups} customers; got {n}.")
    order = np.argsort(table["predicted_purchases"].to_numpy(), kind="stable")
    group = np.empty(n, dtype=np.int64)
    group[order] = np.arange(n) * n_groups // n
    grouped = table.groupby(group)
    out = pd.DataFrame(
        {
            "customers": grouped.size().astype(np.int64),
            "predicted": grouped["predicted_purchases"].mean(),
            "actual": grouped["actual_purchases"].mean(),
        }
    )
    out.index = pd.RangeIndex(1, n_groups + 1, name="group")
    return out


def normalized_gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """How well ``predicted`` ranks ``actual``: 1 for the best ranking, 0 for a random one.

    The Gini coefficient of the cumulative share of ``actual`` taken in decreasing order
    of ``predicted``, divided by the same coefficient in decreasing order of ``actual``
    itself. Ties in ``predicted`` share their credit (the cumulative curve is linear
    across a tied block). NaN when ``actual`` is all equal.
    """
    actual = np.asarray(actual, np.float64)
    predicted = np.asarray(predicted, np.float64)

    def gini(score: np.ndarray) -> float:
        # blocks of equal score, highest first; within a block the credit is spread evenly
        values, inverse = np.unique(-score, return_inverse=True)
        block_total = np.bincount(inverse, weights=actual, minlength=values.size)
        block_size = np.bincount(inverse, minlength=values.size).astype(np.float64)
        share = np.cumsum(block_total) / actual.sum()
        before = np.concatenate([[0.0], share[:-1]])
        # area under the piecewise-linear Lorenz-type curve, minus the diagonal's 1/2
        area = float(np.sum((before + share) / 2.0 * block_size)) / actual.size
        return area - 0.5

    total = float(actual.sum())
    if actual.size < 2 or total == 0.0 or np.ptp(actual) == 0.0:
        return math.nan
    return gini(predicted) / gini(actual)


def compare_models(
    models: Mapping[str, object],
    calibration_holdout: pd.DataFrame,
    *,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """A scorecard of several purchase models on one calibration/holdout split.

    Fit each model on the calibration columns of ``calibration_holdout`` first (any
    purchase model, or a CLVModel whose purchase model is scored); the scorecard then
    evaluates all of them on exactly the same customers:

    - ``n_params``, ``log_likelihood`` of the calibration histories (at each model's
      parameters), ``aic = 2 k - 2 LL`` and ``bic = k ln(n) - 2 LL``: fit, penalised for
      the number of parameters ``k`` (lower AIC/BIC is better);
    - ``mae`` and ``rmse`` of holdout purchases per customer, ``actual_purchases`` and
      ``predicted_purchases`` in total and ``aggregate_error_pct``;
    - ``decile_calibration_error``: the mean absolute gap between mean predicted and mean
      actual holdout purchases over the deciles of predicted purchases
      (:func:`holdout_deciles`; purchases per customer);
    - ``gini``: the normalized Gini of the ranking (:func:`normalized_gini`; 1 is a
      perfect ranking of who buys most);
    - ``brier``: the Brier score of the probability of any purchase in the holdout.

    Parameters
    ----------
    models : mapping of str to model
        Names (the rows of the table) to fitted purchase models or CLVModels.
    calibration_holdout : pandas.DataFrame
        From :func:`clvkit.calibration_holdout`.
    time_unit : str, optional
        The unit of a frame that does not record it; see
        :func:`clvkit.holdout_predictions`.

    Returns
    -------
    pandas.DataFrame
        One row per model, indexed by name, columns :data:`COMPARISON_COLUMNS`
        (``model`` is the model's short name, e.g. ``"Pareto/NBD"``).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> fits = {"BG/NBD": ck.BetaGeo().fit(cal), "Pareto/NBD": ck.ParetoNBD().fit(cal)}
    >>> table = ck.compare_models(fits, cal)
    >>> list(table.index)
    ['BG/NBD', 'Pareto/NBD']
    """
    if not isinstance(models, Mapping) or not models:
        raise InputError(
            "The 'models' argument of compare_models must be a non-empty mapping of names "
            f"to fitted models, e.g. {{'BG/NBD': bg, 'Pareto/NBD': pnbd}}. Got {models!r}."
        )
    frame = check_frame(calibration_holdout, "calibration_holdout")
    check_columns(frame, ["frequency", "recency", "T"], "calibration_holdout")
    rows = []
    for name, model in models.items():
        if not isinstance(name, str):
            raise InputError(f"Model names must be strings. Got {name!r}.")
        purchase = purchase_model_of(model, "compare_models")
        k = len(purchase.param_names)
        ll = purchase.log_likelihood(frame, time_unit=time_unit)
        n = len(frame)
        table = holdout_predictions(model, frame, time_unit=time_unit)
        y = table["actual_purchases"].to_numpy()
        yhat = table["predicted_purchases"].to_numpy()
        error = yhat - y
        deciles = holdout_deciles(model, frame, time_unit=time_unit)
        total = float(y.sum())
        rows.append(
            {
                "model": purchase.display_name,
                "n_params": k,
                "log_likelihood": ll,
                "aic": 2.0 * k - 2.0 * ll,
                "bic": k * math.log(n) - 2.0 * ll,
                "mae": float(np.mean(np.abs(error))),
                "rmse": float(np.sqrt(np.mean(error**2))),
                "actual_purchases": total,
                "predicted_purchases": float(yhat.sum()),
                "aggregate_error_pct": 100.0 * float(error.sum()) / total if total else math.nan,
                "decile_calibration_error": float(
                    np.mean(np.abs(deciles["predicted"] - deciles["actual"]))
                ),
                "gini": normalized_gini(y, yhat),
                "brier": float(np.mean((table["p_buy"] - table["bought"]) ** 2)),
            }
        )
    return pd.DataFrame(rows, index=pd.Index(list(models), name="name"))[list(COMPARISON_COLUMNS)]
