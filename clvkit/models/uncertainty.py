"""Parameter uncertainty carried to predictions, written once for every model.

Every number clvkit predicts is a function ``g(theta)`` of a model's parameters (for CLV,
of two models': the purchase model and the spend model, fitted separately on different
likelihoods, so their estimates are independent and their covariance is block-diagonal).
This module turns the uncertainty of the estimate into an interval for ``g``, whatever
``g`` is, by evaluating it at a *plan* of parameter vectors:

``"delta"`` (the default)
    The estimate and, for each parameter, the estimate with that log-parameter moved by a
    small step ``h``: forward differences give the gradient of ``g`` in the
    log-parameters, and ``Var g = grad' Sigma grad`` with ``Sigma`` the asymptotic
    covariance of the log-parameters (the inverse observed information, rescaled). The
    normal approximation is applied on the scale where ``g`` lives freely: the logit for
    probabilities (P(alive), the probability of a purchase, shares), the log for positive
    quantities (expected purchases, spend, value, totals), so intervals stay inside the
    quantity's range. Cost: one evaluation per parameter on top of the estimate.
``"parametric"``
    ``n_draws`` vectors of log-parameters drawn from the asymptotic normal
    ``N(log theta_hat, Sigma)``, the same draws for every customer, so a total over
    customers is evaluated draw by draw and keeps the correlation between customers; the
    interval is the equal-tailed quantiles of ``g`` over the draws.
``"bootstrap"``
    The same quantiles over parameter vectors refitted on resampled customers
    (:meth:`clvkit.models.BaseModel.bootstrap`), which needs no normal approximation.

Everything here is written against parameter arrays; models evaluate ``g`` by
broadcasting their kernels over the plan's parameter vectors (kernels take parameters of
shape ``(k, d, 1, ...)`` and return one row per vector).
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from clvkit.errors import ClvkitError, ConvergenceWarning, InputError, UncertaintyError

if TYPE_CHECKING:
    from clvkit.models.base import BaseModel

__all__ = [
    "METHODS",
    "SCALES",
    "CustomerBlock",
    "IntervalOptions",
    "ParameterBlock",
    "Plan",
    "bootstrap_draws",
    "customer_blocks",
    "interval_options",
    "make_plan",
]

#: the methods of ``method=``
METHODS: tuple[str, ...] = ("delta", "parametric", "bootstrap")
#: where the delta method's normal approximation is applied
SCALES: tuple[str, ...] = ("log", "logit", "fixed")

#: step of the forward differences, in log-parameters (truncation ~ h, rounding ~ 1e-16 / h)
STEP = 1e-6
#: arrays of parameter configurations x rows are kept below this many floats (32 MB)
CELLS = 1 << 22
DEFAULT_DRAWS = 1000


# -- arguments -------------------------------------------------------------------------
@dataclass(frozen=True)
class IntervalOptions:
    """The checked ``interval=``, ``method=``, ``n_draws=``, ``random_state=``, ``draws=``."""

    level: float
    method: str
    n_draws: int
    random_state: Any
    draws: pd.DataFrame | None


def interval_options(
    interval: object,
    *,
    method: object = "delta",
    n_draws: object = DEFAULT_DRAWS,
    random_state: object = None,
    draws: object = None,
    caller: str,
) -> IntervalOptions | None:
    """Check the interval arguments of ``caller``; ``None`` when no interval is asked for.

    The method, the number of draws and the random state are checked even without an
    interval, so a misspelt method never passes silently.
    """
    if not (isinstance(method, str) and method in METHODS):
        raise InputError(
            f"The 'method' argument of {caller} must be one of {list(METHODS)}. "
            f"Got {method!r} instead."
        )
    if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) or int(n_draws) < 2:
        raise InputError(
            f"The 'n_draws' argument of {caller} must be a whole number >= 2 (quantiles "
            f"need at least two draws). Got {n_draws!r} instead."
        )
    _check_random_state(random_state, caller)
    if draws is not None and not isinstance(draws, pd.DataFrame):
        raise InputError(
            f"The 'draws' argument of {caller} must be a DataFrame of parameter draws (one "
            f"row per draw), as returned by bootstrap(). Got {type(draws).__name__}."
        )
    if draws is not None and method != "bootstrap":
        raise InputError(
            f"{caller}: 'draws' are bootstrap parameter draws; pass method='bootstrap' with "
            f"them (got method={method!r})."
        )
    if interval is None:
        return None
    if (
        isinstance(interval, bool)
        or not isinstance(interval, numbers.Real)
        or not (0.0 < float(interval) < 1.0)
    ):
        raise InputError(
            f"The 'interval' argument of {caller} must be a probability strictly between 0 "
            f"and 1 (0.9 for a 90 % interval). Got {interval!r} instead."
        )
    if method == "bootstrap" and draws is None:
        raise UncertaintyError(
            f"{caller}: method='bootstrap' needs the refitted parameters, and a fitted model "
            "keeps no training data to refit on. Compute them once with "
            "draws = model.bootstrap(customers, n_draws=200, random_state=0) (the customers "
            "the model was fitted on) and pass draws=draws; method='delta' and "
            "'parametric' need no data."
        )
    return IntervalOptions(
        level=float(interval),
        method=method,
        n_draws=int(n_draws),
        random_state=random_state,
        draws=draws,
    )


def _check_random_state(random_state: object, caller: str) -> None:
    ok = (
        random_state is None
        or isinstance(random_state, np.random.Generator | np.random.SeedSequence)
        or (
            isinstance(random_state, numbers.Integral)
            and not isinstance(random_state, bool)
            and int(random_state) >= 0
        )
    )
    if not ok:
        raise InputError(
            f"The 'random_state' argument of {caller} must be None, a whole number >= 0 or "
            f"a numpy Generator. Got {random_state!r} instead."
        )


def check_n_jobs(n_jobs: object, caller: str) -> int:
    """``n_jobs`` as a number of threads: a whole number >= 1, or -1 for every core."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise InputError(
            f"The 'n_jobs' argument of {caller} must be a whole number >= 1 or -1 (every "
            f"core). Got {n_jobs!r} instead."
        )
    if int(n_jobs) == -1:
        return os.cpu_count() or 1
    if int(n_jobs) < 1:
        raise InputError(
            f"The 'n_jobs' argument of {caller} must be >= 1 or -1 (every core). "
            f"Got {n_jobs!r} instead."
        )
    return int(n_jobs)


# -- the plan: parameter vectors to evaluate ---------------------------------------------
@dataclass(frozen=True)
class ParameterBlock:
    """One model's part of a plan.

    Attributes
    ----------
    name : str
        The model's role (``"purchase_model"``, ``"spend_model"``, or ``""`` for a single
        model).
    params : (k, d_b) array
        The distinct parameter vectors (natural scale) the model is evaluated at.
    index : (d,) intp array
        For each of the plan's configurations, the column of ``params`` it uses.
    """

    name: str
    params: np.ndarray
    index: np.ndarray

    def stacked(self, extra_dims: int) -> np.ndarray:
        """``params`` shaped ``(k, d_b, 1, ..., 1)`` to broadcast against ``extra_dims``-d
        customer arrays (the kernels' convention)."""
        k, d = self.params.shape
        return self.params.reshape(k, d, *([1] * extra_dims))


@dataclass(frozen=True)
class Plan:
    """Parameter configurations at which a prediction is evaluated, and how to read them.

    For ``"delta"``, configuration ``j`` moves the ``j``-th log-parameter (over all blocks,
    in order) by :data:`STEP` (the estimate itself is the point prediction, computed
    anyway); ``log_cov`` is the covariance of all log-parameters. For draws,
    configuration ``i`` is draw ``i``.
    """

    method: str
    level: float
    blocks: tuple[ParameterBlock, ...]
    n_configs: int
    log_cov: np.ndarray | None

    def block(self, name: str = "") -> ParameterBlock:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(name)  # pragma: no cover - callers ask for blocks they built

    @property
    def z(self) -> float:
        return float(ndtri(0.5 + 0.5 * self.level))

    def block_cov(self, name: str = "") -> np.ndarray:
        """The covariance of one block's log-parameters (delta method)."""
        assert self.log_cov is not None
        offset = 0
        for b in self.blocks:
            k = b.params.shape[0]
            if b.name == name:
                return self.log_cov[offset : offset + k, offset : offset + k]
            offset += k
        raise KeyError(name)  # pragma: no cover - callers ask for blocks they built

    def gradient_se(self, gradients: Mapping[str, np.ndarray], ndim: int) -> np.ndarray:
        """The delta method's standard error on a scale from the gradient of the quantity
        on that scale (of ``log(q)``, ``logit(q)``) in each block's log-parameters.

        A quantity built from factors that each depend on one model has, on the log
        scale, the sum of the factors' gradients: products such as spend times discounted
        purchases need no evaluation at the joint configurations. The blocks are
        independent, so the variance is the sum of the blocks' quadratic forms. A block's
        entry may also be its variance already (an array of the point's shape), when
        several quantities share it: an entry with ``ndim`` dimensions (the quantity's) is a
        variance, one with ``ndim + 1`` a gradient. Bounds follow from
        :func:`scaled_bounds`.
        """
        var: np.ndarray | None = None
        for name, grad in gradients.items():
            part = grad if grad.ndim == ndim else quadratic_form(grad, self.block_cov(name))
            var = part.copy() if var is None else var + part
        assert var is not None
        return np.sqrt(var)

    def interval(
        self, point: np.ndarray, values: np.ndarray, scale: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of a quantity from its values at the configurations.

        Parameters
        ----------
        point : array of shape S
            The quantity at the estimate.
        values : array of shape (n_configs, *S)
            The quantity at each configuration (for the delta method, ``point`` is the
            base of the forward differences).
        scale : {"log", "logit", "fixed"}
            Where the delta method's normal approximation is applied: ``"log"`` for a
            quantity >= 0, ``"logit"`` for a probability; ``"fixed"`` for a quantity that
            does not depend on the parameters (bounds equal the point). Draw-based
            intervals are quantiles, the same on any monotone scale.
        """
        point = np.asarray(point, dtype=np.float64)
        if scale == "fixed":
            return point.copy(), point.copy()
        if self.method != "delta":
            lo, hi = 0.5 - 0.5 * self.level, 0.5 + 0.5 * self.level
            bounds = np.quantile(values, [lo, hi], axis=0)
            return bounds[0], bounds[1]
        return delta_interval(point, values, self.log_cov, self.z, scale)


def delta_interval(
    point: np.ndarray, values: np.ndarray, log_cov: np.ndarray | None, z: float, scale: str
) -> tuple[np.ndarray, np.ndarray]:
    """The delta-method interval from the estimate and the values at the forward steps.

    ``values[j]`` is the quantity with the ``j``-th log-parameter moved by :data:`STEP`.
    The variance of the quantity is ``grad' Sigma grad`` (natural scale), turned into a
    standard error on ``scale``. The rounding of the point (which may come from another
    code path than the steps) enters the differences as ``1e-16 / STEP``, far below what
    matters for an interval.
    """
    assert log_cov is not None
    grad = values - point
    grad /= STEP
    se = np.sqrt(quadratic_form(grad, log_cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale == "log":
            se = se / point
        elif scale == "logit":
            se = se / (point * (1.0 - point))
    return scaled_bounds(point, se, z, scale)


def quadratic_form(grad: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``sum_ij grad[i] cov[i, j] grad[j]`` over the leading axis (>= 0), whatever the
    trailing shape. ``einsum`` rather than a BLAS product: on a busy machine OpenBLAS's
    worker threads cost far more than this arithmetic (see :mod:`clvkit.models._kernels.linalg`)."""
    k = grad.shape[0]
    flat = np.ascontiguousarray(grad).reshape(k, -1)
    var = np.einsum("ij,ij->j", flat, np.einsum("ik,kj->ij", cov, flat))
    return np.maximum(var, 0.0).reshape(grad.shape[1:])


def scaled_bounds(
    point: np.ndarray, se: np.ndarray, z: float, scale: str
) -> tuple[np.ndarray, np.ndarray]:
    """``point`` moved by ``-/+ z se`` on ``scale`` (``se`` on that scale) and mapped back.

    ``"log"``: ``point * exp(-/+ z se)``; ``"logit"``: ``expit(logit(point) -/+ z se)``. A
    point on the edge of its range (0, or a probability of 0 or 1) is its own bound.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = np.exp(z * se)
        if scale == "log":
            inside = (point > 0) & np.isfinite(c)
            lower = np.where(inside, point / c, point)
            upper = np.where(inside, point * c, point)
        elif scale == "logit":
            q = 1.0 - point
            inside = (point > 0) & (q > 0) & np.isfinite(c)
            lower = np.where(inside, point / (point + q * c), point)
            upper = np.where(inside, point / (point + q / c), point)
        else:  # pragma: no cover - the scales are fixed by the callers
            raise ValueError(scale)
    return np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)


def make_plan(
    options: IntervalOptions,
    models: Mapping[str, BaseModel],
    caller: str,
) -> Plan:
    """The parameter configurations for ``options`` over one or several models.

    ``models`` maps each block's name to its model (``{"": model}`` for one model,
    ``{"purchase_model": ..., "spend_model": ...}`` for CLV); parametric draws of the blocks
    are independent (the models are fitted separately) and taken in that order from one
    generator, so the purchase model's draws are the same alone and within CLV.
    """
    names = list(models)
    estimates = {name: m._check_fitted() for name, m in models.items()}
    if options.method == "delta":
        covs = [models[name]._log_covariance(caller) for name in names]
        total = sum(estimates[name].size for name in names)
        blocks = []
        offset = 0
        for name in names:
            est = estimates[name]
            k = est.size
            # column 0: the estimate (what other blocks' steps use), then one step each
            params = np.repeat(est[:, None], k + 1, axis=1)
            params[np.arange(k), np.arange(1, k + 1)] *= math.exp(STEP)
            index = np.zeros(total, dtype=np.intp)
            index[offset : offset + k] = np.arange(1, k + 1)
            blocks.append(ParameterBlock(name, params, index))
            offset += k
        log_cov = np.zeros((total, total))
        offset = 0
        for cov in covs:
            k = cov.shape[0]
            log_cov[offset : offset + k, offset : offset + k] = cov
            offset += k
        if len(blocks) == 1:  # one model: no other block needs the estimate
            only = blocks[0]
            blocks = [ParameterBlock(only.name, only.params[:, 1:], np.arange(total))]
        return Plan("delta", options.level, tuple(blocks), total, log_cov)
    if options.method == "parametric":
        rng = np.random.default_rng(options.random_state)
        blocks = []
        for name in names:
            cov = models[name]._log_covariance(caller)
            chol = np.linalg.cholesky(cov)
            normal = rng.standard_normal((options.n_draws, chol.shape[0]))
            log_draws = np.log(estimates[name])[None, :] + normal @ chol.T
            params = np.exp(log_draws).T
            blocks.append(ParameterBlock(name, params, np.arange(options.n_draws)))
        return Plan("parametric", options.level, tuple(blocks), options.n_draws, None)
    assert options.draws is not None
    blocks = []
    n = len(options.draws)
    for name in names:
        params = _draws_block(options.draws, name, models[name], caller)
        blocks.append(ParameterBlock(name, params, np.arange(n)))
    return Plan("bootstrap", options.level, tuple(blocks), n, None)


def _draws_block(draws: pd.DataFrame, name: str, model: BaseModel, caller: str) -> np.ndarray:
    """One model's parameters out of a draws frame, checked: (k, n_draws)."""
    part: pd.DataFrame = draws
    if name:
        if not isinstance(draws.columns, pd.MultiIndex) or name not in draws.columns.levels[0]:
            raise InputError(
                f"{caller}: the 'draws' frame must have the columns ({name!r}, parameter) "
                "of a CLVModel's bootstrap(); got columns "
                f"{[str(c) for c in draws.columns][:8]}."
            )
        selected = draws[name]
        assert isinstance(selected, pd.DataFrame)
        part = selected
    expected = list(model.param_names)
    if list(part.columns) != expected:
        raise InputError(
            f"{caller}: the 'draws' for {type(model).__name__} must have the columns "
            f"{expected}; got {[str(c) for c in part.columns]}."
        )
    if len(part) < 2:
        raise InputError(f"{caller}: 'draws' must hold at least 2 draws; got {len(part)}.")
    values = part.to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise InputError(
            f"{caller}: every parameter draw must be finite and > 0; "
            f"{int(bad.any(axis=1).sum())} of {len(part)} draws break this rule."
        )
    return np.ascontiguousarray(values.T)


# -- customers in blocks that share their distinct histories ------------------------------
@dataclass(frozen=True)
class CustomerBlock:
    """A block of customers, sorted so that equal histories are adjacent.

    Attributes
    ----------
    rows : (B,) intp
        Positions of the block's customers in the input.
    x, t_x, T : (B,) float64
        Their histories (in sorted order).
    pair : (B,) intp
        Each customer's code into ``pair_x``, ``pair_T`` (distinct ``(x, T)``).
    triple : (B,) intp
        Each customer's code into ``triple_x``, ``triple_t_x``, ``triple_T``.
    """

    rows: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    pair: np.ndarray
    pair_x: np.ndarray
    pair_T: np.ndarray
    triple: np.ndarray
    triple_x: np.ndarray
    triple_t_x: np.ndarray
    triple_T: np.ndarray


def customer_blocks(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, width: int
) -> Iterator[CustomerBlock]:
    """Customers in blocks of about ``CELLS / width`` rows, equal histories adjacent.

    Customers are sorted by ``(x, T, t_x)``, so each block evaluates every distinct
    ``(x, T)`` pair and ``(x, t_x, T)`` history it holds once, and a pair is evaluated
    again only where it straddles two blocks. ``width`` is the number of floats kept per
    customer (configurations times horizons).
    """
    n = x.size
    order = _history_order(x, t_x, T)
    size = max(8, CELLS // max(1, width))
    for start in range(0, n, size):
        rows = order[start : start + size]
        bx, btx, bT = x[rows], t_x[rows], T[rows]
        new_pair = np.empty(rows.size, dtype=bool)
        new_pair[0] = True
        np.not_equal(bx[1:], bx[:-1], out=new_pair[1:])
        new_pair[1:] |= bT[1:] != bT[:-1]
        new_triple = new_pair.copy()
        new_triple[1:] |= btx[1:] != btx[:-1]
        pair = np.cumsum(new_pair) - 1
        triple = np.cumsum(new_triple) - 1
        yield CustomerBlock(
            rows=rows,
            x=bx,
            t_x=btx,
            T=bT,
            pair=pair,
            pair_x=bx[new_pair],
            pair_T=bT[new_pair],
            triple=triple,
            triple_x=bx[new_triple],
            triple_t_x=btx[new_triple],
            triple_T=bT[new_triple],
        )


def _history_order(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Positions sorting the customers by ``(x, T, t_x)``: one sort of an integer key
    built from each column's codes (columns on a lattice are coded in linear time)."""
    from clvkit.models._kernels.compress import factorize

    fx, fT, ftx = factorize(x), factorize(T), factorize(t_x)
    kT, ktx = fT.values.size, ftx.values.size
    if float(fx.values.size) * kT * ktx >= 2.0**62:  # pragma: no cover - astronomically many
        return np.lexsort((t_x, T, x))
    key = fx.codes.astype(np.int64)
    key *= kT
    key += fT.codes
    key *= ktx
    key += ftx.codes
    return np.argsort(key, kind="stable")


def row_chunks(n: int, width: int) -> Iterator[slice]:
    """Slices of ``range(n)`` holding about ``CELLS / width`` rows each."""
    size = max(8, CELLS // max(1, width))
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


# -- the bootstrap ---------------------------------------------------------------------------
def bootstrap_draws(
    refit: Callable[[np.ndarray], np.ndarray | None],
    row_weights: np.ndarray,
    *,
    n_draws: int,
    random_state: object,
    n_jobs: int,
    columns: pd.Index,
    caller: str,
) -> pd.DataFrame:
    """Refit on ``n_draws`` resamples of the customers; one row of parameters per draw.

    Resampling the customers with replacement is a multinomial draw of ``N`` customers
    (``N`` the total weight, rounded) over the distinct rows, with probabilities
    proportional to their weights; each draw has its own child seed, so the result does
    not depend on ``n_jobs``. ``refit(weights)`` returns the refitted parameters (one
    row, in ``columns`` order), or None when the refit did not converge or the resample
    cannot identify the parameters: such draws are left out with a warning.
    """
    total = float(row_weights.sum())
    n_customers = max(1, round(total))
    probs = row_weights / total
    seeds = np.random.SeedSequence(_seed_entropy(random_state)).spawn(n_draws)

    def one(i: int) -> np.ndarray | None:
        counts = np.random.default_rng(seeds[i]).multinomial(n_customers, probs)
        return refit(counts.astype(np.float64))

    with warnings.catch_warnings():
        # refits are judged by their diagnostics; their warnings would repeat n_draws times
        warnings.simplefilter("ignore", ConvergenceWarning)
        if n_jobs == 1:
            results = [one(i) for i in range(n_draws)]
        else:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                results = list(pool.map(one, range(n_draws)))
    kept = [r for r in results if r is not None]
    failed = n_draws - len(kept)
    if len(kept) < 2:
        raise UncertaintyError(
            f"{caller}: {failed} of {n_draws} bootstrap refits failed (no convergence, or a "
            "resample that cannot identify the parameters); the cohort is too small or "
            "too degenerate for the bootstrap."
        )
    if failed:
        warnings.warn(
            f"{caller}: {failed} of {n_draws} bootstrap refits did not converge or could not "
            f"identify the parameters and are left out; the intervals use {len(kept)} draws.",
            ConvergenceWarning,
            stacklevel=3,
        )
    frame = pd.DataFrame(np.vstack(kept), columns=columns)
    frame.index.name = "draw"
    return frame


def _seed_entropy(random_state: object) -> Any:
    """Entropy for a SeedSequence from ``random_state`` (a Generator gives fresh bits)."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    if isinstance(random_state, np.random.SeedSequence):
        return random_state.entropy
    return random_state


def try_refit(fit: Callable[[], BaseModel]) -> np.ndarray | None:
    """Run one bootstrap refit; its parameters, or None if it failed or did not converge."""
    try:
        model = fit()
    except ClvkitError:
        return None
    diag = model.diagnostics_
    if diag is None or not diag.converged:
        return None
    return model.params_.to_numpy(dtype=np.float64)


def distinct_rows(
    arrays: Sequence[np.ndarray], weights: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of ``arrays`` and their summed weights (zero weights dropped)."""
    from clvkit.models._kernels.compress import compress_rows

    rows = compress_rows(tuple(np.asarray(a, dtype=np.float64) for a in arrays), weights)
    return [f.values[f.codes] for f in rows.columns], rows.weights


# -- results: bounds beside the point estimate -------------------------------------------
def with_bounds(
    point: float | np.ndarray | pd.Series | pd.DataFrame,
    lower: np.ndarray,
    upper: np.ndarray,
    name: str,
) -> pd.Series | pd.DataFrame:
    """The point estimate with ``<name>_lower`` and ``<name>_upper`` beside it.

    A number becomes a Series of the three; a Series (one value per customer or per
    horizon) a DataFrame with the three columns; a DataFrame (one column per horizon or
    count) a DataFrame with two column levels, the statistic then the original columns,
    so ``result[name]`` is the table without the interval. Bare arrays are indexed by
    position.
    """
    lo_name, hi_name = f"{name}_lower", f"{name}_upper"
    if isinstance(point, pd.DataFrame):
        parts = {
            name: point,
            lo_name: pd.DataFrame(lower, index=point.index, columns=point.columns),
            hi_name: pd.DataFrame(upper, index=point.index, columns=point.columns),
        }
        out = pd.concat(parts, axis=1)
        out.columns = out.columns.set_names([None, point.columns.name])
        return out
    if isinstance(point, pd.Series):
        return pd.DataFrame(
            {name: point.to_numpy(), lo_name: lower, hi_name: upper}, index=point.index
        )
    values = np.asarray(point, dtype=np.float64)
    if values.ndim == 0:
        return pd.Series(
            {name: float(values), lo_name: float(lower), hi_name: float(upper)}, name=name
        )
    if values.ndim == 1:
        return pd.DataFrame({name: values, lo_name: lower, hi_name: upper})
    if values.ndim == 2:
        return with_bounds(pd.DataFrame(values), lower, upper, name)
    raise InputError(  # pragma: no cover - callers give at most two dimensions
        f"An interval needs a result of at most two dimensions; got shape {values.shape}."
    )
