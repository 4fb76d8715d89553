"""The MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007)."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from clvkit.models._kernels import mbgnbd
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.purchase import MixingDistribution, PurchaseModel

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(PurchaseModel):
    """MBG/NBD: BG/NBD in which a customer may also drop out right after the first purchase.

    Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models
    for customer base analysis", *International Journal of Research in Marketing* 24(3)
    (the same model as Hoppe & Wagner 2007's CBG/NBD timing). Purchases are Poisson at
    Gamma(r, alpha) rates while alive; right after *every* purchase, the first included, the
    customer leaves with probability p ~ Beta(a, b). A customer without a repeat purchase
    can therefore be dead, so their P(alive) is below 1 and falls with silence, and their
    value at risk becomes visible.

    Equations: the likelihood, P(alive) and the conditional expectation of Batislam et al.
    (2007); see :mod:`clvkit.models._kernels.mbgnbd` for the derivations of the rest.

    Parameters
    ----------
    penalizer, initial_params, tol, max_iter
        As for :class:`clvkit.BetaGeo` (``initial_params`` keys ``r, alpha, a, b``).

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha``, ``a``, ``b``; ``alpha`` in the model's time unit.
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
    >>> mbg = ck.ModifiedBetaGeo().fit(rfm)
    >>> bool(mbg.log_likelihood_ > ck.BetaGeo().fit(rfm).log_likelihood_)
    True
    >>> bool(mbg.probability_alive(rfm)[rfm["frequency"] == 0].max() < 1)
    True
    """

    param_names = ("r", "alpha", "a", "b")
    #: the curve of expected purchases while alive bends on the scale alpha + T
    #: (the posterior purchase rate is Gamma(r + x, alpha + T))
    curve_scale_param = "alpha"
    #: and through t / (alpha + T) alone (the NBD with drop-out at the posterior
    #: parameters, whose rate scale is alpha + T)
    curve_scaled = True
    kernel: ClassVar[ModuleType] = mbgnbd
    display_name = "MBG/NBD"

    def mixing_distributions(self) -> dict[str, MixingDistribution]:
        """Purchase rates ``lambda ~ Gamma(r, alpha)``; drop-out ``p ~ Beta(a, b)`` after
        every purchase, the first included.

        Examples
        --------
        >>> import clvkit as ck
        >>> mbg = ck.ModifiedBetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426,
        ...                                      time_unit="W")
        >>> mbg.mixing_distributions()["dropout"].label
        'Beta(a=0.793, b=2.43)'
        """
        return BetaGeo.mixing_distributions(self)  # type: ignore[arg-type]
