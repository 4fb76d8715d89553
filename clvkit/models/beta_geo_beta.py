"""The BG/BB purchase model for discrete purchase occasions (Fader, Hardie & Shang 2010)."""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

import numpy as np

from clvkit._time import unit_name
from clvkit._validation import check_rule
from clvkit.models._kernels import bgbb
from clvkit.models.inputs import RFMInput
from clvkit.models.purchase import MixingDistribution, PurchaseModel

__all__ = ["BetaGeoBeta"]


class BetaGeoBeta(PurchaseModel):
    """BG/BB: purchases at discrete occasions, Beta(alpha, beta) purchase probability,
    Beta(gamma, delta) drop-out between occasions.

    Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time
    noncontractual setting", *Marketing Science* 29(6). For businesses whose customers
    can buy only at fixed occasions (a yearly donation drive, an annual event, a
    quarterly catalogue): after the first purchase (occasion 0), at each of the following
    occasions a customer still alive buys with probability ``p``; before each occasion
    an alive customer leaves, unseen, with probability ``theta``.

    Time counts occasions: ``T`` is the number of occasions observed after the first
    purchase, ``recency`` the occasion of the last purchase (0 without a repeat purchase)
    and ``frequency`` the number of occasions with a purchase; all whole numbers, with
    ``frequency <= recency <= T``. :func:`clvkit.occasion_summary` builds them from a
    transaction log. Horizons are numbers of future occasions (whole numbers), or
    calendar spans in the model's time unit, the occasion's length (``"3Y"`` is three
    yearly occasions).

    Equations: the likelihood (paper, eq. 5), P(alive) and the expected purchases in
    the next occasions (the paper's conditional expectation), P(X(n) = x) (eq. 7); see
    :mod:`clvkit.models._kernels.bgbb`.

    Parameters
    ----------
    penalizer, initial_params, tol, max_iter
        As for :class:`clvkit.BetaGeo` (``initial_params`` keys ``alpha, beta, gamma,
        delta``).

    Attributes
    ----------
    params_ : Series
        ``alpha``, ``beta``, ``gamma``, ``delta`` (no unit: probabilities' laws).
    log_likelihood_, n_customers_, time_unit_, diagnostics_
        As for :class:`clvkit.BetaGeo`; ``time_unit_`` is the length of an occasion.

    Examples
    --------
    >>> import clvkit as ck
    >>> donors = ck.datasets.load_donations()
    >>> bgbb = ck.BetaGeoBeta().fit(donors, weights=donors["count"])
    >>> bgbb.params_.round(3).tolist()
    [1.204, 0.75, 0.657, 2.783]
    >>> round(bgbb.log_likelihood_, 1)
    -33225.6
    """

    param_names = ("alpha", "beta", "gamma", "delta")
    kernel: ClassVar[ModuleType] = bgbb
    display_name = "BG/BB"
    discrete = True

    def _check_customers(self, rfm: RFMInput) -> None:
        ids = rfm.index
        for name in self.columns:
            if name in rfm.arrays:
                check_rule(
                    rfm[name] != np.floor(rfm[name]),
                    f"Column {name!r}",
                    "must be a whole number of purchase occasions (BG/BB)",
                    ids,
                )
        if "recency" in rfm.arrays:
            check_rule(
                rfm["frequency"] > rfm["recency"],
                "Column 'frequency'",
                "must be <= column 'recency' (each purchase takes one occasion, the last "
                "at 'recency')",
                ids,
            )

    def mixing_distributions(self) -> dict[str, MixingDistribution]:
        """Purchase probability ``p ~ Beta(alpha, beta)`` at each occasion; drop-out
        probability ``theta ~ Beta(gamma, delta)`` before each occasion.

        Examples
        --------
        >>> import clvkit as ck
        >>> m = ck.BetaGeoBeta.from_params(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783)
        >>> round(float(m.mixing_distributions()["purchase"].distribution.mean()), 3)
        0.616
        """
        from scipy import stats

        alpha, beta, gamma, delta = self._check_fitted()
        occasion = unit_name(self.time_unit_) if self.time_unit_ else "occasion"
        return {
            "purchase": MixingDistribution(
                symbol="p",
                description=f"probability of buying at an occasion ({occasion}) while alive",
                unit="probability",
                density_unit="unit of probability",
                distribution=stats.beta(alpha, beta),
                label=f"Beta(alpha={alpha:.3g}, beta={beta:.3g})",
            ),
            "dropout": MixingDistribution(
                symbol="theta",
                description="probability of dropping out before an occasion",
                unit="probability",
                density_unit="unit of probability",
                distribution=stats.beta(gamma, delta),
                label=f"Beta(gamma={gamma:.3g}, delta={delta:.3g})",
            ),
        }
