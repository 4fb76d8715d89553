"""What the purchase-model contract needs for intervals: the machinery under its
predictions' ``interval=`` and ``prediction_interval=``.

:class:`PurchaseIntervals` is the base of :class:`clvkit.models.purchase.PurchaseModel`:
it turns a quantity written against the kernel, evaluated at the parameter vectors of a
:class:`~clvkit.models.uncertainty.Plan` for a block of customers, into bounds per
customer (or per horizon for a new customer), computes the quantiles of the number of
purchases for prediction intervals, and evaluates P(alive) and the expected purchases
while alive at many parameter vectors for the CLV intervals built above the models
(:mod:`clvkit.value.propagate`). Nothing here knows a particular model.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from clvkit.errors import InputError
from clvkit.models.base import BaseModel
from clvkit.models.inputs import RFMInput
from clvkit.models.uncertainty import (
    CustomerBlock,
    IntervalOptions,
    ParameterBlock,
    customer_blocks,
)

if TYPE_CHECKING:
    from clvkit.models.purchase import Horizons

__all__ = ["PurchaseIntervals"]

#: purchase counts evaluated at a time by the prediction intervals of counts
_COUNT_BLOCK = 32
_MAX_COUNT = 1_000_000


class PurchaseIntervals(BaseModel):
    """Interval helpers of the purchase-model contract (see the module notes)."""

    #: the kernel module holding the model's formulas (set by each model)
    kernel: ClassVar[ModuleType]
    #: the parameter ``c`` for which ``c + T`` is the time scale of the expected purchases
    #: while alive: their curve in ``t`` is analytic but for a singularity at ``t = -(c+T)``
    #: (None when the model has no such scale); see :class:`clvkit.value.propagate.StepCurves`
    curve_scale_param: ClassVar[str | None] = None
    #: True when the expected purchases while alive depend on that parameter, ``T`` and
    #: ``t`` only through ``t / (c + T)`` (see :meth:`_alive_at_scaled_times`)
    curve_scaled: ClassVar[bool] = False

    def _xtT(self, rfm: RFMInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError  # pragma: no cover - PurchaseModel defines it

    def _alive_at(
        self, block: ParameterBlock, cb: CustomerBlock, t: np.ndarray | float, many: bool
    ) -> np.ndarray:
        """Expected purchases while alive of each customer of ``cb`` at the block's
        parameter vectors, evaluated once per distinct pair: (d, B) or (d, B, m)."""
        if many:
            e = self.kernel.expected_purchases_alive(
                block.stacked(2), cb.pair_x[:, None], cb.pair_T[:, None], t
            )
        else:
            e = self.kernel.expected_purchases_alive(block.stacked(1), cb.pair_x, cb.pair_T, t)
        return np.asarray(e)[:, cb.pair]

    @staticmethod
    def _prediction_level(level: object, caller: str) -> float | None:
        if level is None:
            return None
        if (
            isinstance(level, bool)
            or not isinstance(level, int | float | np.floating)
            or not (0.0 < float(level) < 1.0)
        ):
            raise InputError(
                f"The 'prediction_interval' argument of {caller} must be a probability "
                f"strictly between 0 and 1 (0.9 for 90 %). Got {level!r} instead."
            )
        return float(level)

    def _customer_bounds(
        self,
        rfm: RFMInput,
        point: np.ndarray,
        options: IntervalOptions,
        at: Callable[[ParameterBlock, CustomerBlock], np.ndarray],
        scale: str,
        caller: str,
        *,
        width: int = 1,
        columns: tuple[str, str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of a per-customer quantity: ``at(block, customers)`` gives its values at
        the plan's parameter vectors, (d, B) or (d, B, m), for one block of customers."""
        plan, block = self._plan(options, caller)
        if columns is None:
            x, t_x, T = self._xtT(rfm)
        else:  # a quantity of (x, T) only
            x, T = rfm[columns[0]], rfm[columns[1]]
            t_x = np.zeros_like(x)
        lower = np.empty_like(point)
        upper = np.empty_like(point)
        for cb in customer_blocks(x, t_x, T, plan.n_configs * max(1, width)):
            lo, hi = plan.interval(point[cb.rows], at(block, cb), scale)
            lower[cb.rows] = lo
            upper[cb.rows] = hi
        return lower, upper

    def _count_quantiles(
        self,
        rfm: RFMInput,
        h: Horizons,
        level: float,
        method: str,
        n_draws: int,
        random_state: object,
        draws: pd.DataFrame | None,
        caller: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed quantiles of the number of purchases in ``(T, T + h]``: (n,) or (n, m).

        The predictive distribution is ``(1 - P(alive)) [k = 0] + P(alive) p(k | alive)``,
        at the estimate (``method="delta"``) or averaged over the parameter draws. The
        lower bound is the smallest ``k`` with ``F(k) >= (1 - level) / 2``, the upper the
        smallest with ``F(k) >= (1 + level) / 2``, so the interval holds at least
        ``level`` of the probability.
        """
        if method == "delta":
            vectors = self._check_fitted()[:, None]
        else:
            options = self._options(level, method, n_draws, random_state, draws, caller)
            assert options is not None
            vectors = self._plan(options, caller)[1].params
        horizons = np.atleast_1d(np.asarray(h.values, dtype=np.float64))
        x, t_x, T = self._xtT(rfm)
        taus = (0.5 - 0.5 * level, 0.5 + 0.5 * level)
        lower = np.zeros((x.size, horizons.size))
        upper = np.zeros((x.size, horizons.size))
        d = vectors.shape[1]
        k, _ = vectors.shape
        stacked1 = vectors.reshape(k, d, 1)
        stacked2 = vectors.reshape(k, d, 1, 1)
        for cb in customer_blocks(x, t_x, T, d * _COUNT_BLOCK):
            pa = np.asarray(
                self.kernel.probability_alive(stacked1, cb.triple_x, cb.triple_t_x, cb.triple_T)
            )[:, cb.triple]  # (d, B)
            for j, t in enumerate(horizons):
                lo, hi = self._block_count_quantiles(stacked2, pa, cb, float(t), taus)
                lower[cb.rows, j] = lo
                upper[cb.rows, j] = hi
        if not h.many:
            return lower[:, 0], upper[:, 0]
        return lower, upper

    def _block_count_quantiles(
        self,
        params: np.ndarray,
        pa: np.ndarray,
        cb: CustomerBlock,
        t: float,
        taus: tuple[float, float],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Count quantiles for one block of customers, counts taken ``_COUNT_BLOCK`` at a
        time until every customer's predictive CDF has passed the upper level."""
        B = cb.rows.size
        cdf_pair = np.zeros((pa.shape[0], cb.pair_x.size))  # P(N <= k - 1 | alive), per draw
        found = [np.full(B, -1.0), np.full(B, -1.0)]
        dead = 1.0 - pa  # (d, B): the dead buy nothing
        start = 0
        while True:
            ks = np.arange(start, start + _COUNT_BLOCK, dtype=np.float64)
            pmf = np.asarray(
                self.kernel.probability_n_purchases_alive(
                    params, ks[None, :], cb.pair_x[:, None], cb.pair_T[:, None], t
                )
            )  # (d, pairs, K)
            cum = cdf_pair[:, :, None] + np.cumsum(pmf, axis=2)
            cdf_pair = cum[:, :, -1]
            # predictive CDF of each customer at each k, averaged over the draws: (B, K)
            F = (dead[:, :, None] + pa[:, :, None] * cum[:, cb.pair, :]).mean(axis=0)
            for i, tau in enumerate(taus):
                todo = found[i] < 0
                reached = F[todo] >= tau - 1e-12
                hit = reached.any(axis=1)
                rows = np.flatnonzero(todo)[hit]
                found[i][rows] = start + np.argmax(reached[hit], axis=1)
            if (found[1] >= 0).all():
                return found[0], found[1]
            start += _COUNT_BLOCK
            if start > _MAX_COUNT:
                raise InputError(  # pragma: no cover - needs absurd horizons
                    f"The purchase-count quantiles need more than {_MAX_COUNT:,} purchases "
                    "for some customers; shorten the horizon."
                )

    def _p_alive_at(
        self, params: np.ndarray, cb: CustomerBlock, *, per_triple: bool = False
    ) -> np.ndarray:
        """P(alive) of the customers of ``cb`` at parameter vectors ``(k, d)``: (d, B), or
        (d, t) per distinct history with ``per_triple`` (evaluated once per history)."""
        p = self._p_alive_rows(params, cb.triple_x, cb.triple_t_x, cb.triple_T)
        return p if per_triple else p[:, cb.triple]

    def _p_alive_rows(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """P(alive) of histories ``(x, t_x, T)`` (m,) at parameter vectors ``(k, d)``: (d, m)."""
        k = params.shape[0]
        return np.asarray(self.kernel.probability_alive(params.reshape(k, -1, 1), x, t_x, T))

    def _curve_scale(self, T: np.ndarray) -> np.ndarray | None:
        """The time scale ``c + T`` of the curve of expected purchases while alive at the
        estimate, for ages ``T`` (m,); None for a model without one."""
        if self.curve_scale_param is None:
            return None
        estimate = self._check_fitted()
        return float(estimate[self.param_names.index(self.curve_scale_param)]) + T

    def _alive_at_times(
        self, params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray
    ) -> np.ndarray:
        """Expected purchases while alive over ``(T, T + t[i, j]]`` at parameter vectors
        ``(k, d)`` for histories ``(x, T)`` of shape (m,), times ``t`` (m, j): (d, m, j)."""
        k = params.shape[0]
        return np.asarray(
            self.kernel.expected_purchases_alive(
                params.reshape(k, -1, 1, 1), x[:, None], T[:, None], t
            )
        )

    def _alive_at_scaled_times(
        self, params: np.ndarray, x: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """For a model with :attr:`curve_scaled`: the expected purchases while alive at
        parameter vectors ``(k, d)``, for repeat purchases ``x`` (X,) and scaled times
        ``u = t / (c + T)`` of shape (d, X, j) (``c`` each vector's scale parameter):
        (d, X, j). They are the expectations at ``c = 1``, ``T = 0`` and ``t = u``."""
        assert self.curve_scaled and self.curve_scale_param is not None
        k, d = params.shape
        unit = params.copy()
        unit[self.param_names.index(self.curve_scale_param)] = 1.0
        return np.asarray(
            self.kernel.expected_purchases_alive(unit.reshape(k, d, 1, 1), x[:, None], 0.0, u)
        )

    def _alive_curve_at(
        self, params: np.ndarray, x: np.ndarray, T: np.ndarray, ends: np.ndarray
    ) -> np.ndarray:
        """Expected purchases while alive over ``(T, T + ends[j]]`` at parameter vectors
        ``(k, d)`` for histories ``(x, T)`` of shape (m,): (d, m, len(ends))."""
        k = params.shape[0]
        return np.asarray(
            self.kernel.expected_purchases_alive(
                params.reshape(k, -1, 1, 1), x[:, None], T[:, None], ends[None, :]
            )
        )
