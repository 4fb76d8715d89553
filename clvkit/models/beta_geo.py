"""The BG/NBD purchase model (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from clvkit._time import unit_name
from clvkit.models._kernels import bgnbd
from clvkit.models.purchase import MixingDistribution, PurchaseModel

__all__ = ["BetaGeo"]


class BetaGeo(PurchaseModel):
    """BG/NBD: Poisson purchases at Gamma(r, alpha) rates, Beta(a, b) drop-out after each.

    Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to
    the Pareto/NBD model", *Marketing Science* 24(2). While alive a customer buys as a
    Poisson process; right after each repeat purchase they drop out with probability
    ``p``. Customers without a repeat purchase therefore have P(alive) = 1 (see
    :class:`ModifiedBetaGeo` and :class:`ParetoNBD` for models that let them lapse).

    Equations used: the likelihood (eq. 6), P(X(t) = n) (eq. 8), E[X(t)] (eq. 9), the
    conditional expectation (eq. 10) and P(alive) (eq. 13); see
    :mod:`clvkit.models._kernels.bgnbd`.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on the natural parameters, added to the mean negative log-likelihood
        per customer (``penalizer * sum(params**2)``). Small values (1e-3) stabilise fits
        on thin data; 0 gives the maximum-likelihood estimate.
    initial_params : mapping, optional
        Starting values ``{"r": ..., "alpha": ..., "a": ..., "b": ...}``. By default they
        are derived from the data (the pooled purchase rate sets ``alpha``).
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha``, ``a``, ``b``. ``alpha`` is in the model's time unit.
    log_likelihood_ : float
        Total (weighted) log-likelihood at the estimate.
    n_customers_ : float
        Number of customers (sum of weights) the model was fitted on.
    time_unit_ : str or None
        The time unit of recency, T and horizons.
    diagnostics_ : FitDiagnostics
        Convergence, iterations, gradient norm, whether the Hessian is definite.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = tx[tx["date"] <= "1997-09-30"]
    >>> rfm = ck.rfm_summary(cal, monetary="amount", time_unit="W",
    ...                      observation_end="1997-09-30",
    ...                      duplicates="keep")  # dates without times: real repeats
    >>> bg = ck.BetaGeo().fit(rfm)
    >>> bg.params_.round(3).tolist()
    [0.243, 4.414, 0.793, 2.426]
    >>> round(float(bg.expected_purchases(rfm, "39W").sum()), 1)
    1653.4
    """

    param_names = ("r", "alpha", "a", "b")
    #: the curve of expected purchases while alive bends on the scale alpha + T
    #: (the posterior purchase rate is Gamma(r + x, alpha + T))
    curve_scale_param = "alpha"
    #: and through t / (alpha + T) alone (the NBD with drop-out at the posterior
    #: parameters, whose rate scale is alpha + T)
    curve_scaled = True
    kernel: ClassVar[ModuleType] = bgnbd
    display_name = "BG/NBD"

    def mixing_distributions(self) -> dict[str, MixingDistribution]:
        """Purchase rates ``lambda ~ Gamma(r, alpha)``; drop-out ``p ~ Beta(a, b)``.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> round(float(bg.mixing_distributions()["purchase"].distribution.mean()), 4)
        0.0551
        """
        from scipy import stats

        r, alpha, a, b = self._check_fitted()
        per = unit_name(self.time_unit_)
        return {
            "purchase": MixingDistribution(
                symbol="lambda",
                description="purchase rate while alive",
                unit=f"purchases per {per}",
                density_unit=f"purchase per {per}",
                distribution=stats.gamma(r, scale=1.0 / alpha),
                label=f"Gamma(r={r:.3g}, alpha={alpha:.3g})",
            ),
            "dropout": MixingDistribution(
                symbol="p",
                description="probability of dropping out after a purchase",
                unit="probability",
                density_unit="unit of probability",
                distribution=stats.beta(a, b),
                label=f"Beta(a={a:.3g}, b={b:.3g})",
            ),
        }
