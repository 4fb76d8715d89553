"""The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987)."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from clvkit._time import unit_name
from clvkit.models._kernels import pareto_nbd
from clvkit.models.purchase import MixingDistribution, PurchaseModel

__all__ = ["ParetoNBD"]


class ParetoNBD(PurchaseModel):
    """Pareto/NBD: Poisson purchases at Gamma(r, alpha) rates, exponential lifetimes at
    Gamma(s, beta) drop-out rates.

    Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and
    what will they do next?", *Management Science* 33(1). While alive a customer buys as a
    Poisson process of rate ``lambda``; they leave at an exponentially distributed moment
    of rate ``mu``, unseen. Unlike BG/NBD, silence alone makes every customer, one-time
    buyers included, less likely to be alive.

    Equations used (see :mod:`clvkit.models._kernels.pareto_nbd`): the likelihood and
    P(alive) of Fader, Hardie & Lee (2005), "A note on deriving the Pareto/NBD model and
    related expressions" (eqs. 11 and 18), evaluated on the convergent branch of the
    Gauss hypergeometric function; the conditional expectation (Schmittlein et al. 1987,
    eq. 22); P(X(t) = x) of Fader & Hardie (2006), "Deriving an expression for P(X(t) = x)
    under the Pareto/NBD model".

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on the natural parameters, added to the mean negative log-likelihood
        per customer (``penalizer * sum(params**2)``).
    initial_params : mapping, optional
        Starting values ``{"r": ..., "alpha": ..., "s": ..., "beta": ...}``; by default
        derived from the data.
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha``, ``s``, ``beta``; ``alpha`` and ``beta`` in the model's time unit.
    log_likelihood_, n_customers_, time_unit_, diagnostics_
        As for :class:`clvkit.BetaGeo`.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = tx[tx["date"] <= "1997-09-30"]
    >>> rfm = ck.rfm_summary(cal, monetary="amount", time_unit="W",
    ...                      observation_end="1997-09-30",
    ...                      duplicates="keep")  # dates without times: real repeats
    >>> pnbd = ck.ParetoNBD().fit(rfm)
    >>> round(pnbd.log_likelihood_, 1)
    -9595.0
    """

    param_names = ("r", "alpha", "s", "beta")
    #: the curve of expected purchases while alive bends on the scale beta + T
    #: (the remaining lifetime's rate is Gamma(s, beta + T))
    curve_scale_param = "beta"
    kernel: ClassVar[ModuleType] = pareto_nbd
    display_name = "Pareto/NBD"

    def mixing_distributions(self) -> dict[str, MixingDistribution]:
        """Purchase rates ``lambda ~ Gamma(r, alpha)``; drop-out rates ``mu ~ Gamma(s, beta)``.

        Examples
        --------
        >>> import clvkit as ck
        >>> m = ck.ParetoNBD.from_params(r=0.55, alpha=10.58, s=0.61, beta=11.66, time_unit="W")
        >>> round(float(m.mixing_distributions()["dropout"].distribution.mean()), 4)
        0.0523
        """
        from scipy import stats

        r, alpha, s, beta = self._check_fitted()
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
                symbol="mu",
                description="drop-out rate",
                unit=f"drop-outs per {per}",
                density_unit=f"drop-out per {per}",
                distribution=stats.gamma(s, scale=1.0 / beta),
                label=f"Gamma(s={s:.3g}, beta={beta:.3g})",
            ),
        }
